"""The sandbox workspace as a person sees it in Slack, served at `GET /`.

`mrkdwn` and `blocks` turn Slack text and Block Kit into escaped HTML, `routes`
serves the page, its static files and uploaded images, and `state` holds what
Slack's client keeps per person (open modals, drafts). `sandbox.page` lays the
page out; `sandbox.actions` carries what the person does to the connected app.
"""
