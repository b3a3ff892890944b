"""Family reading task lists (家庭阅读任务清单), ticks per child, reading logs, figures."""
