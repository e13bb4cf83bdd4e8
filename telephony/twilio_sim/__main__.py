"""``python -m telephony.twilio_sim --webhook-base ...``: a standalone simulator (the demo)."""

from telephony.twilio_sim.run import main

main()
