"""Services of the chatbot app (write side and NLU serving).

* :mod:`.training`: ``chatbot_train`` (intent model + product index + seeds);
* :mod:`.evaluation`: ``chatbot_evaluate`` (accuracy, macro-F1, per intent, latency);
* :mod:`.nlu`: ``nlu_parse`` with the active intent model;
* :mod:`.knowledge`: FAQ retrieval and product search by meaning;
* :mod:`.conversations`: starting conversations, posting messages, erasure;
* :mod:`.tickets`: the support inbox (SLA due time, summary, notes, replies);
* :mod:`.review`: misunderstood messages -> intent examples -> retraining.
"""
