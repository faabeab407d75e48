"""Excel in and out: list templates and uploads, and exports of what an actor may see.

Workbooks are built with openpyxl and read with defusedxml guarding the XML (users upload them).
Nothing here knows of Flask: the web pages and the `sandan` command call the same functions and
get bytes (or checked rows) back.
"""
