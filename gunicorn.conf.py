# gunicorn reads this file from the working directory by default; the settings live in the
# package (so that an installed wheel has them too): gunicorn -c python:readingroom.gunicorn_conf
from readingroom.gunicorn_conf import *  # noqa: F403
