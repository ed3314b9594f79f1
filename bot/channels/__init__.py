"""Channel adapters: parse platform events into `Incoming`, deliver outbox rows."""
