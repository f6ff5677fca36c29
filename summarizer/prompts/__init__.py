"""Prompt templates, shipped as package data and rendered by ``summarizer.prompting.render``."""
