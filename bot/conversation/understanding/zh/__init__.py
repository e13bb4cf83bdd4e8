"""The Chinese readers: Mandarin customers' words read into the same values, of the same types,
as the English readers produce. The English modules one level up dispatch here when they are
called with ``lang="zh"`` (or "zh-CN", ...); nothing else imports this package directly.

numbers makes the text regular and reads numerals (cn2an); amounts, dates (pay dates, vague
answers), dob, counts (months, verification digits), times (callbacks), answers (declines),
parts (a promise in two parts) and formatting mirror their English namesakes.
"""
