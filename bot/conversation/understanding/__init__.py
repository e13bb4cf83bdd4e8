"""Turn what a customer says into values the collections bot can act on.

Customers answer reminders in free text ("i can do 200 on the 15th", "call me tomorrow after 6"),
by chat, SMS or speech transcript. Each parser pulls one kind of value out of such text and
returns None when it is absent, so the dialogue asks again instead of guessing.

Dates and times are resolved against the customer's own local date/time, which the caller
computes from the customer's time zone: "tomorrow" means the customer's tomorrow. Money is
always Decimal, never float, so cents are exact. Spelled-out numbers ("two hundred",
"two fifty") are read by words.spoken_number; misspelled words are put right first (spelling).

One module per kind of value: amounts, dates (payment dates), times (callback times), months
(plan length), digits and dob (verification answers), parts (a promise in two parts:
"100 friday and the rest next month"); formatting writes money and dates back;
words holds the vocabulary they share; spelling corrects misspelled words of that
vocabulary; answers hears a no that Rasa could not place.
"""
