"""Native senders against a local server that plays the providers' APIs."""
