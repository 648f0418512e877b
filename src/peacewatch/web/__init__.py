"""The web app: API, pages, incidents, users and roles (`create_app`)."""
