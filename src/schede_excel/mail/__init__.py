"""Step 3 in the cycle, written after the steps it uses: sending each head the sector's workbook,
the send log, and the round's status with reminders.
"""
