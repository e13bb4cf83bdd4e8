"""Telephony: audio, codecs, speech and Twilio wire formats (nothing about collections)."""
