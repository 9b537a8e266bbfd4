"""Word lists and shapes for the synthetic ticket history (``deskui generate``).

Plain data only. The subjects, descriptions, CIs and resolutions come from
``sample_data/ticket_templates.toml`` when it is present; the generic templates
here are the fallback for an organisation without one.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Aaliyah", "Adam", "Adebayo", "Aisha", "Alan", "Alex", "Alice", "Amara", "Amy", "Ana", "Andrew", "Anil",
    "Anna", "Arjun", "Ben", "Beth", "Bilal", "Bogdan", "Brian", "Caitlin", "Callum", "Carla", "Carlos", "Charlotte",
    "Chen", "Chiara", "Chris", "Claire", "Connor", "Craig", "Daniel", "Darius", "David", "Deborah", "Deepa",
    "Diego", "Dominic", "Eleanor", "Elena", "Emily", "Emma", "Eric", "Esther", "Ethan", "Fatima", "Fiona",
    "Francesca", "Gareth", "Grace", "Greg", "Hannah", "Harry", "Hassan", "Helen", "Ian", "Imani", "Isabel",
    "Jack", "Jade", "James", "Jamal", "Jasmine", "Jason", "Jennifer", "Jessica", "Joanna", "John", "Jonah",
    "Jorge", "Joseph", "Julia", "Kai", "Karen", "Karim", "Kate", "Kevin", "Kwame", "Laura", "Leah", "Li",
    "Liam", "Lily", "Louise", "Lucy", "Luis", "Maria", "Mark", "Martin", "Maya", "Megan", "Mei", "Michael",
    "Mohammed", "Naomi", "Natalia", "Nathan", "Neil", "Nia", "Nicola", "Nikhil", "Noah", "Oliver", "Olivia",
    "Omar", "Owen", "Patrick", "Paul", "Pedro", "Peter", "Priya", "Rachel", "Rahul", "Raj", "Rebecca",
    "Ricardo", "Rob", "Rosa", "Ryan", "Sam", "Samira", "Sandra", "Sarah", "Sean", "Sofia", "Sophie", "Stefan",
    "Steve", "Sunita", "Tariq", "Thomas", "Tom", "Tomasz", "Tyrone", "Vanessa", "Victor", "Wei", "Will",
    "Yasmin", "Yusuf", "Zara", "Zoe",
)

LAST_NAMES = (
    "Abbott", "Adeyemi", "Ahmed", "Ali", "Allen", "Anderson", "Baker", "Banerjee", "Barnes", "Bell", "Bennett",
    "Brooks", "Brown", "Campbell", "Carter", "Chan", "Chowdhury", "Clarke", "Collins", "Cooper", "Costa",
    "Cruz", "Davies", "Davis", "Diaz", "Dubois", "Edwards", "Evans", "Fernandes", "Fischer", "Fisher",
    "Fitzgerald", "Foster", "Garcia", "Gomez", "Gordon", "Graham", "Green", "Gupta", "Hall", "Harris",
    "Hughes", "Hussain", "Jackson", "James", "Jenkins", "Johnson", "Jones", "Kaur", "Kelly", "Khan", "Kim",
    "King", "Kowalski", "Kumar", "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Mason", "Mehta", "Miller",
    "Mitchell", "Moore", "Morgan", "Morris", "Murphy", "Murray", "Nguyen", "Novak", "Nowak", "O'Connor",
    "Okafor", "Okoye", "Oliveira", "Osei", "Owen", "Palmer", "Parker", "Patel", "Perez", "Phillips", "Price",
    "Quinn", "Rahman", "Reid", "Reyes", "Richards", "Roberts", "Robinson", "Rodriguez", "Rossi", "Russell",
    "Santos", "Schmidt", "Scott", "Shah", "Sharma", "Silva", "Singh", "Smith", "Stewart", "Sullivan", "Taylor",
    "Thomas", "Thompson", "Turner", "Walker", "Walsh", "Wang", "Ward", "Watson", "White", "Williams", "Wilson",
    "Wood", "Wright", "Wu", "Yilmaz", "Young", "Zhang",
)

# (department, weight): a logistics company is mostly warehouse and transport staff.
DEPARTMENTS = (
    ("Warehouse Operations", 22), ("Transport Planning", 12), ("Customer Service", 11), ("Finance", 9),
    ("Sales", 9), ("Procurement", 6), ("Fleet Maintenance", 6), ("HR", 5), ("IT", 4), ("Marketing", 4),
    ("Legal & Compliance", 3), ("Facilities", 3), ("Executive Office", 2), ("Health & Safety", 2), ("Data & Analytics", 2),
)

# Locations per time zone; a time zone without an entry gets generic ones.
LOCATIONS = {
    "Europe/London": (("London HQ", 45), ("Tilbury DC", 35), ("Remote (UK)", 20)),
    "America/New_York": (("New York Office", 45), ("Newark DC", 40), ("Remote (US)", 15)),
}
GENERIC_LOCATIONS = (("Head Office", 50), ("Distribution Centre", 35), ("Remote", 15))

# Arrival profile (local time). Weekdays Mon..Sun; hours 00..23. Monday morning
# is the peak (weekend backlog), lunch dips, nights and weekends are low but not
# empty (warehouses work shifts).
WEEKDAY_WEIGHT = (1.25, 1.08, 1.0, 0.96, 0.82, 0.13, 0.09)
HOUR_WEIGHT = (
    0.05, 0.04, 0.03, 0.03, 0.04, 0.08, 0.22, 0.55, 0.95, 1.0, 0.97, 0.88,
    0.58, 0.66, 0.86, 0.88, 0.78, 0.58, 0.32, 0.2, 0.15, 0.12, 0.09, 0.07,
)
MONDAY_MORNING_BOOST = 1.25  # Mon 08:00-11:59 on top of the weekday weight

# Channel shares (the brief for the demo desk).
CHANNELS = (("email", 40), ("portal", 30), ("phone", 15), ("chat", 10), ("monitoring", 4), ("walk_in", 1))

# Priority shares by type; overall about P1 2%, P2 13%, P3 50%, P4 35%.
PRIORITY_WEIGHTS = {
    "incident": (2.7, 15.2, 51.5, 30.6),
    "request": (0.0, 6.0, 45.5, 48.5),
    "monitoring": (12.0, 30.0, 43.0, 15.0),
}

# Relative volume by category path (share of tickets); categories not listed get
# a Zipf-shaped weight by their position.
CATEGORY_WEIGHTS = {
    "Accounts & Access/Password & Lockout": 9.0, "Accounts & Access/Multi-Factor Authentication": 5.5,
    "Accounts & Access/Access Request": 6.5, "Accounts & Access/New Starter": 2.5, "Accounts & Access/Leaver": 2.0,
    "Email & Collaboration/Outlook & Mailbox": 7.0, "Email & Collaboration/Teams": 4.0,
    "Email & Collaboration/Shared Mailbox & Distribution List": 3.0, "Email & Collaboration/Calendar": 1.5,
    "Email & Collaboration/OneDrive & SharePoint": 3.0,
    "Hardware/Laptop & Desktop": 7.0, "Hardware/Monitor & Docking Station": 3.0, "Hardware/Peripherals": 2.5,
    "Hardware/Mobile Device": 2.0,
    "Software/Installation Request": 5.5, "Software/Application Fault": 3.0,
    "Software/Operating System & Updates": 2.0, "Software/Web Browser": 1.5,
    "Network/VPN": 4.5, "Network/Wi-Fi": 3.0, "Network/Wired & Site Connectivity": 1.2,
    "Network/Internet & Web Filtering": 1.6,
    "Printing/Print Queue": 3.0, "Printing/Printer Setup": 2.0, "Printing/Printer Hardware": 1.8, "Printing/Scanning": 1.4,
    "Telephony/Teams Phone": 1.5, "Telephony/Headset & Desk Phone": 1.5, "Telephony/Mobile Phone Service": 1.0,
    "Security/Phishing Report": 3.0, "Security/Malware & Virus": 0.8, "Security/Lost or Stolen Device": 0.5,
    "Security/Device Encryption": 0.7,
    "Business Applications/ERP": 3.0, "Business Applications/HR & Expenses": 1.5, "Business Applications/Reporting & BI": 1.0,
    "Warehouse Technology/Warehouse Management System": 1.6, "Warehouse Technology/Transport Management System": 1.1,
    "Warehouse Technology/Handheld Scanner": 1.6, "Warehouse Technology/Label Printer": 1.1,
    "Infrastructure/File Share & Storage": 1.5, "Infrastructure/Backup & Restore": 0.8,
    "Infrastructure/Server & Monitoring Alert": 1.5, "Infrastructure/Cloud Platform": 0.5,
    "Workplace IT/Meeting Room AV": 1.5, "Workplace IT/Desk & Office Move": 0.7, "Workplace IT/Loan Equipment": 1.0,
}

# Categories whose CI is the requester's own device: the CI is made personal (same
# person, same laptop) so recurrence by CI means the same device failing again.
PERSONAL_CI_CATEGORIES = frozenset({
    "Hardware/Laptop & Desktop", "Hardware/Monitor & Docking Station", "Hardware/Peripherals", "Hardware/Mobile Device",
    "Software/Operating System & Updates", "Security/Malware & Virus", "Security/Device Encryption",
})

MONITORING_ALERTS = (
    "CPU above 95% for 15 minutes", "disk usage above 90%", "service not responding to health check",
    "packet loss above 20%", "backup job failed", "certificate expires in 7 days", "memory above 92%",
    "response time above 5 s", "replication lag above 10 minutes", "interface down",
)

PENDING_REASONS = (("awaiting_requester", 60), ("awaiting_vendor", 25), ("awaiting_change", 15))

RESOLUTION_CODES = {
    "incident": (("solved", 72), ("workaround", 12), ("user_error", 7), ("not_reproducible", 5), ("duplicate", 4)),
    "request": (("fulfilled", 94), ("duplicate", 3), ("user_error", 3)),
}

FIRST_REPLIES = (
    "Hello {first},\n\nThanks for contacting the Service Desk. I've picked this up and I'm looking into it now; I'll update you here shortly.\n\n{analyst}",
    "Hi {first},\n\nThanks for the details. I'm on this now and will come back to you as soon as I know more.\n\n{analyst}",
    "Hello {first},\n\nYour ticket is with me. I'm checking {thing} and will let you know what I find.\n\nKind regards,\n{analyst}",
    "Hi {first}, thanks for raising this. I'm working on it and will update the ticket within the hour.\n\n{analyst}",
)
PHONE_REPLIES = (
    "As discussed on the phone, {first}: I'm checking {thing} now and will call you back if I need anything.",
    "Summary of our call: we went through the steps together and I'm following up on {thing}.",
    "Thanks for calling, {first}. Logged as discussed; I'll keep you updated here.",
)
ANALYST_UPDATES = (
    "Quick update: I can reproduce this and I'm testing a fix now.",
    "I've applied a change on our side. Could you try again and let me know if it works?",
    "Still working on this. The logs point at {thing}; I'll update you by the end of the day.",
    "I've scheduled a remote session for later today; you'll get a Teams invite.",
    "Thanks for your patience. Waiting for one more check before I can confirm it is fixed.",
)
ASK_MORE_INFO = (
    "Hello {first},\n\nTo move this forward I need a few more details: when did it start, the exact error message (a screenshot is ideal), and the device name. I've put the ticket on hold until you reply.\n\n{analyst}",
    "Hi {first}, could you confirm whether colleagues near you see the same thing, and send a screenshot of the error? The ticket is on hold until then.",
    "Hello {first}, I need the approval of your line manager before I can go ahead. Could you ask them to reply to this ticket?",
)
VENDOR_NOTES = (
    "Raised a case with the vendor; waiting for their engineer.",
    "Vendor has acknowledged the fault; part on order.",
    "Waiting for the approved change window to apply the fix.",
    "Change request raised for the fix; on hold until it is approved.",
)
REQUESTER_REPLIES = (
    "Hi, thanks. I've tried again and it is still the same.",
    "Screenshot attached. It started on Monday morning.",
    "Thanks, my manager has approved this now.",
    "Yes, two colleagues next to me have the same problem.",
    "Hello, is there any update on this please?",
    "That worked, thank you!",
    "I'm out of the office tomorrow, please call my mobile if you need me.",
)
INTERNAL_NOTES = (
    "Checked the logs for {thing}; nothing obvious yet.",
    "Called the user, no answer. Left a voicemail.",
    "Known issue after last week's update? Checking with the team.",
    "Same symptoms as a ticket last month; trying the same fix first.",
    "Remote session done; collected logs, attached to the ticket.",
    "User is VIP-adjacent (EA to a director); keep them updated.",
    "Tested with a spare device: fault follows the user profile, not the hardware.",
)
ESCALATION_REASONS = (
    "Needs {group}: beyond first-line fix",
    "Needs admin rights we don't have at this tier",
    "Hardware fault suspected; needs a deskside visit",
    "Configuration change needed on the server side",
    "Recurring fault; needs root-cause analysis by {group}",
    "Vendor case required; {group} holds the support contract",
)
RESOLUTION_REPLIES = (
    "Hello {first},\n\n{resolution}\n\nI'll mark this as resolved; just reply here if anything is still not right.\n\n{analyst}",
    "Hi {first}, good news: {resolution} Resolving the ticket now; reply if you need anything else.",
    "Hello {first}, this is sorted: {resolution}\n\nKind regards,\n{analyst}",
)
NO_RESPONSE_REPLIES = (
    "Hello {first}, we haven't heard back, so I'm resolving this ticket for now. Just reply to reopen it.",
    "Hi {first}, resolving as we have not had a reply after several reminders. Reply any time and we will pick it up again.",
)
REOPEN_REPLIES = (
    "Sorry, it has started happening again this morning.",
    "This is not fixed, I still get the same error.",
    "It worked for a day but now it's back.",
)
CANCEL_REASONS = (
    "Duplicate of a ticket the requester raised by phone",
    "Requester withdrew the request",
    "Raised in error",
)
CSAT_COMMENTS = {
    5: ("Quick and friendly, thank you!", "Fixed first time, great service.", "Really helpful, explained everything."),
    4: ("Good, took a little longer than hoped.", "Sorted in the end, thanks."),
    3: ("OK, but I had to chase.", "Fixed, but I had to explain it twice."),
    2: ("Took far too long.", "Had to chase several times."),
    1: ("Still not happy, problem keeps coming back.", "Nobody updated me for days."),
}
SCORE_WEIGHTS = (6, 5, 9, 25, 55)        # 1..5 for a clean ticket
SCORE_WEIGHTS_BAD = (16, 14, 20, 27, 23)  # breached or reopened

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Generic fallback templates when sample_data/ticket_templates.toml is absent.
GENERIC_INCIDENT_SUBJECTS = ("{name} not working", "Problem with {name}", "Error in {name}", "{name} is very slow")
GENERIC_REQUEST_SUBJECTS = ("Request: {name}", "Please set up {name} for me", "Need access to {name}")
GENERIC_INCIDENT_DESCRIPTION = (
    "Hi, since {weekday} I have a problem with {category}. It worked before and nothing changed on my side.\n\n"
    "Thanks,\n{requester.name}"
)
GENERIC_REQUEST_DESCRIPTION = "Hello, could you please arrange {category} for me? My manager has agreed.\n\n{requester.name}"
GENERIC_INCIDENT_RESOLUTION = "Found the cause, applied the fix and confirmed with the user that it works again."
GENERIC_REQUEST_RESOLUTION = "Request fulfilled and confirmed with the requester."
