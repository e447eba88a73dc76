"""nbgrader in a student's server on svclab's JupyterHub (/etc/jupyter/nbgrader_config.py): one
course, and the exchange a volume shared with the instructor. The exchange keeps the course in
its paths whatever this says: <root>/svclab/outbound/<lab>/ (released), <root>/svclab/inbound/
(submissions, <student>+<lab>+<timestamp>+<random>) and <root>/svclab/feedback/ (<hash>.html).
A lab is fetched to ~/labs/<lab>/ (where the course's links point), submitted from there, and
its feedback arrives in ~/labs/<lab>/feedback/<timestamp>/."""

c = get_config()  # noqa: F821 – provided by nbgrader
c.CourseDirectory.course_id = "svclab"
c.Exchange.root = "/srv/nbgrader/exchange"
c.Exchange.path_includes_course = False
c.Exchange.assignment_dir = "/home/jovyan/labs"
