"""Congress, registration and pilot-project meeting management for a network of local governments."""
