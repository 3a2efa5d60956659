"""Language understanding: encoder, intents, slots (no Django)."""
