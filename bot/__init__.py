"""Qonys: a messaging assistant for people resettling within Kazakhstan and for kandases."""
