"""The patient's daily log, a module per group of URLs. Thin views: a form parses, a service writes,
a page or fragment answers.

With htmx a section answers with its own fragment (plus the status line and the
day's score, out of band); without JavaScript every form is a plain POST that
redirects back to the day, or re-renders the page with the errors and what was typed.
"""
