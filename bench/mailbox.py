"""Benchmark of collecting the returns: 200 messages with a workbook each, received and imported.

    python bench/mailbox.py

Starts a Dovecot on 127.0.0.1 (as the tests do; needs the Debian package dovecot-imapd), appends
200 messages from the heads of a 10-sector plan, each with its sector's workbook filled in a
different way (20 resends a sector), then times in fresh processes:
- the floor: a bare imaplib fetch of the same 200 messages (BODY.PEEK[]), nothing parsed;
- `schede ricevi` (unwrap, read in memory, match, save, sync, log) then `schede import` of the folder.
Prints wall seconds and peak memory of each, and the ratios.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

MESSAGES = 200
SECTORS = 10


def plan_data() -> dict:
    sectors = [{"codice": f"S{i:02d}", "nome": f"SETTORE {i}", "responsabile": f"RESP {i}",
                "email": f"s{i:02d}@comune.esempio.it"} for i in range(1, SECTORS + 1)]
    objectives = [{"settore": "TUTTI", "numero": 1, "peso": 30, "titolo": "TRASPARENZA",
                   "fasi": [{"descrizione": "Aggiornamento", "mesi": [3]}],
                   "indicatori": {"quantita": [{"descrizione": "sezioni aggiornate", "atteso": "90%"}]}}]
    for s in sectors:
        objectives.append({"settore": s["codice"], "numero": 1, "peso": 70, "titolo": f"OBIETTIVO {s['codice']}",
                           "fasi": [{"descrizione": "Attuazione", "mesi": [4, 5]}],
                           "indicatori": {"quantita": [{"descrizione": "pratiche", "atteso": "100"}],
                                          "tempo": [{"descrizione": "conclusione", "atteso": "30/06/2023"}]}})
    return {"ente": "Banco Prova", "anno": 2023, "verifica_intermedia": "30/06/2023", "verifica_finale": "31/12/2023",
            "righe_personale": 4, "settori": sectors, "obiettivi": objectives}


def peak_of(argv: list[str], env: dict) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status:
        raise SystemExit(f"{argv[:3]} è uscito con {status}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


FLOOR = """
import imaplib, ssl, sys
imap = imaplib.IMAP4_SSL("127.0.0.1", int(sys.argv[1]), ssl_context=ssl.create_default_context(cafile=sys.argv[2]))
imap.login(sys.argv[3], sys.argv[4]); imap.select("INBOX", readonly=True)
uids = imap.uid("SEARCH", None, "ALL")[1][0].split()
total = sum(len(imap.uid("FETCH", u, "(BODY.PEEK[])")[1][0][1]) for u in uids)
print(total)
"""


def main() -> None:
    import trustme
    import yaml

    import hostile
    from dovecot import PASSWORD, Dovecot
    from schede_excel.plan.load import load_plan
    from schede_excel.sheet.generate import generate

    server = Dovecot(trustme.CA())
    try:
        work = Path(tempfile.mkdtemp(prefix="bench-casella-"))
        plan_file = work / "piano.yaml"
        plan_file.write_text(yaml.safe_dump(plan_data(), allow_unicode=True, sort_keys=False), encoding="utf-8")
        plan = load_plan(plan_file).require()
        written = {w.path.name: w.path.read_bytes() for w in generate(plan, work / "out")}
        user = "bench@comune.esempio.it"
        imap = server.client(user)
        for n in range(MESSAGES):
            code = f"S{n % SECTORS + 1:02d}"
            data, _ = hostile.fill(plan, written[f"banco-prova-2023-intermedia-{code}.xlsx"], code,
                                   percent=0.5 + n / (2 * MESSAGES))
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = f"{code.lower()}@comune.esempio.it", "ufficio@x.it", "scheda"
            message["Message-ID"] = make_msgid(domain="comune.esempio.it")
            message.set_content("In allegato.")
            message.add_attachment(data, maintype="application",
                                   subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=f"{code}.xlsx")
            imap.append("INBOX", None, None, message.as_bytes(policy=policy.SMTP))
        imap.logout()
        config = work / "schede-mail.toml"
        config.write_text(f'[imap]\nserver = "127.0.0.1"\nporta = {server.ssl_port}\nsicurezza = "ssl"\n'
                          f'utente = "{user}"\ncertificato_ca = "{server.ca_file}"\n', encoding="utf-8")
        env = {**os.environ, "SCHEDE_IMAP_PASSWORD": PASSWORD, "PYTHONPATH": str(ROOT / "src")}
        floor = peak_of([sys.executable, "-c", FLOOR, str(server.ssl_port), str(server.ca_file), user, PASSWORD], env)
        returns = work / "ritorni"
        schede = [sys.executable, "-m", "schede_excel"]
        receive = peak_of([*schede, "ricevi", str(plan_file), "--ritorni", str(returns), "--cartella", str(work / "out"),
                           "--config", str(config), "--dal", "01/01/2000"], env)
        imported = peak_of([*schede, "import", str(plan_file), str(returns)], env)
        saved = len(list(returns.glob("*.xlsx")))
        print(f"{MESSAGES} messaggi con una cartella ciascuna ({SECTORS} settori, {MESSAGES // SECTORS} invii a settore)")
        print(f"{'misura':<42}{'secondi':>9}{'picco MB':>10}")
        print(f"{'imaplib: solo scaricare i messaggi':<42}{floor[0]:>9.2f}{floor[1]:>10.0f}")
        print(f"{'schede ricevi (salvati ' + str(saved) + ')':<42}{receive[0]:>9.2f}{receive[1]:>10.0f}")
        print(f"{'schede import della cartella':<42}{imported[0]:>9.2f}{imported[1]:>10.0f}")
        print(f"ricevi / scaricare: {receive[0] / floor[0]:.1f}x; ricevi + import: {receive[0] + imported[0]:.2f} s")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
