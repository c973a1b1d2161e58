# Français (fr) : « dim 29 nov. 2026 », « dim 29 nov. 2026 à 21:51 ».
DATE_FORMAT = "D j N Y"
DATETIME_FORMAT = "D j N Y à H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j N Y"
SHORT_DATETIME_FORMAT = "D j N à H:i"
FIRST_DAY_OF_WEEK = 1  # lundi
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"]
