"""Staff accounts (工作人员): the subdistrict administrator and community staff scoped to
their communities; the staff login page and the administrator's account screens."""
