"""The doctors' and hospital admins' portals: server-rendered pages over selectors and services.

``doctor/`` and ``hospital/`` each own one portal (views, urls, templates under
``templates/portals/<portal>/``); ``common`` and ``forms`` hold what both share.
"""
