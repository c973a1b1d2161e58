"""The desk's date and time formats, one module per language (settings.FORMAT_MODULE_PATH).

They replace Django's locale defaults, which disagree between screens ("Nov. 1, 2026" from a bare
`{{ date }}`, "Sun 29 Nov 2026" from the desk's own filters): every date the desk shows, with or
without a filter, comes from here. Date inputs render ISO first (`<input type=date>` accepts
nothing else) and still accept the locale's own spelling when typed into a text field.
"""
