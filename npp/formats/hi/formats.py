"""Hindi dates in the Indian order: "30 नवम्बर 2026", 30/11/2026."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j F Y, g:i A"
SHORT_DATETIME_FORMAT = "d/m/Y g:i A"
TIME_FORMAT = "g:i A"
MONTH_DAY_FORMAT = "j F"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = (3, 2, 0)
