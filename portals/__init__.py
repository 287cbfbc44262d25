"""The doctors' and hospital admins' portal: server-rendered pages over selectors and services."""
