"""nbgrader in a student's server on svclab's JupyterHub (/etc/jupyter/nbgrader_config.py): one
course, and the exchange a volume shared with the instructor. The exchange keeps the course in
its paths whatever this says: <root>/svclab/outbound/<lab>/ (released), <root>/svclab/inbound/
(submissions, <student>+<lab>+<timestamp>+<random>) and <root>/svclab/feedback/ (<hash>.html).
path_includes_course only shapes the student's side: a lab is fetched to ~/<lab>/ (not
~/svclab/<lab>/), submitted from there, and its feedback arrives in ~/<lab>/feedback/<timestamp>/."""

c = get_config()  # noqa: F821 – provided by nbgrader
c.CourseDirectory.course_id = "svclab"
c.Exchange.root = "/srv/nbgrader/exchange"
c.Exchange.path_includes_course = False
