"""On-call screens: the desk's week view, alerts and acknowledgement (`desk.py`), each person's
contact methods and calendar feed (`me.py`), and the administration of schedules, policies and
paging rules (`manage.py`). Access rules as in guichet.web: outside one's role a page is a 404."""
