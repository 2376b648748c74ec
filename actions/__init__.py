"""Custom actions for the clinic assistant (run by the rasa_sdk action server)."""
