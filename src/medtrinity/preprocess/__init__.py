"""Windowing, resizing and de-identification: raw pixels -> a clean display image."""
