"""One entry module per endpoint group: the handler of that group's Lambda function
(``chalicelib.functions.<group>.app``), an app with only that group's routes, so its cold start
loads nothing of the other groups. ``app.py`` serves every group at once for local runs."""
