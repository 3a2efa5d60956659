"""Models of the chatbot app."""
