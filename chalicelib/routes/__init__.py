"""Route modules, one Blueprint (``bp``) per area. chalicelib/groups.py lists them by endpoint
group (the Lambda function that serves them); app.py registers every group."""
