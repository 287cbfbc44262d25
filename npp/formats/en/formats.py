"""Dates as India writes them: day, month, year (DATE_FORMAT "30 Nov 2026", SHORT 30/11/2026)."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j M Y, g:i A"
SHORT_DATETIME_FORMAT = "d/m/Y g:i A"
TIME_FORMAT = "g:i A"
MONTH_DAY_FORMAT = "j F"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = (3, 2, 0)  # 1,23,45,678: lakhs and crores
