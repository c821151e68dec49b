"""Reference data: departments, the category table, time-limit rules, the working calendar."""
