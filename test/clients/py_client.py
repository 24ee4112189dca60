"""Python's standard mail libraries (imaplib, poplib, smtplib) with their
default settings plus host, port, user, password and the CA file: what a user's
script does. Prints what the library reports; exit 0 on success, 1 on a
library error (the error's text printed), so the test records both.

usage: py_client.py CA PROTOCOL HOST PORT USER PASSWORD [inflight] [TO]
  imap: STARTTLS, LOGIN, SELECT INBOX, SEARCH ALL (inflight: login, print READY,
        wait for a line on stdin, then APPEND a message)
  pop3: STLS, USER/PASS, STAT (inflight: login, READY, wait, then RETR 1)
  smtp: STARTTLS, LOGIN, sendmail to TO (inflight: login, READY, wait, then send)
"""
import imaplib, poplib, smtplib, ssl, sys, time

ca, proto, host, port, user, password = sys.argv[1:7]
port = int(port)
inflight = len(sys.argv) > 7 and sys.argv[7] == 'inflight'
to = sys.argv[8] if len(sys.argv) > 8 else 'bob@teamware.example'
ctx = ssl.create_default_context(cafile=ca)
MSG = ('From: %s@teamware.example\r\nTo: %s\r\nSubject: from python\r\n\r\nsent by smtplib\r\n' % (user, to)).encode()


def ready():
    print('READY', flush=True)
    sys.stdin.readline()


try:
    if proto == 'imap':
        c = imaplib.IMAP4(host, port)
        c.starttls(ssl_context=ctx)
        print(c.login(user, password))
        if inflight:
            ready()
            print(c.append('INBOX', None, imaplib.Time2Internaldate(time.time()), MSG))
        else:
            print(c.select('INBOX'))
            print(c.search(None, 'ALL'))
        c.logout()
    elif proto == 'pop3':
        c = poplib.POP3(host, port)
        c.stls(context=ctx)
        c.user(user)
        print(c.pass_(password))
        if inflight:
            ready()
            print(c.retr(1)[0])
        else:
            print(c.stat())
        c.quit()
    elif proto == 'smtp':
        c = smtplib.SMTP(host, port)
        c.starttls(context=ctx)
        print(c.login(user, password))
        if inflight:
            ready()
        print(c.sendmail('%s@teamware.example' % user, [to], MSG))
        c.quit()
except Exception as e:  # what the library raised, as a user's script would print it
    print('%s: %s' % (type(e).__name__, e), flush=True)
    sys.exit(1)
