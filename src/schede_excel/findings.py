"""Problems as data: one catalogue of finding codes and the `Finding` record.

Every problem the library reports, in a plan file or in a returned workbook, is a `Finding`
with a stable code from `CATALOGUE`, a severity, a location (file, sheet, cell, or line and
path in a plan file) and an Italian message that says where, what was found and what was
expected. Exceptions are used only for what stops the work, and they carry findings.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict, Field


class Severity(str, Enum):
    """How bad a finding is; values are the Italian words printed to users."""

    ERROR = "errore"
    WARNING = "avviso"
    INFO = "info"


# code -> (severity, Italian message template). Templates are filled with str.format(**params).
CATALOGUE: dict[str, tuple[Severity, str]] = {
    # Plan files
    "PLAN_001": (Severity.ERROR, "Il file del piano non si può leggere: {detail}."),
    "PLAN_002": (Severity.ERROR, "YAML non valido: {detail}. Controllare rientri, due punti e virgolette."),
    "PLAN_003": (Severity.ERROR, "{field}: {detail}."),
    "PLAN_004": (
        Severity.ERROR,
        "Settore {sector}: i pesi degli obiettivi del settore ({own}) più quelli trasversali TUTTI "
        "({shared}) danno {total}; atteso 100.",
    ),
    "PLAN_019": (
        Severity.ERROR,
        "I pesi degli obiettivi trasversali TUTTI danno {shared}: con i pesi propri di ognuno dei {sectors} "
        "settori ({own}) dovrebbero dare {expected}. Correggere i pesi degli obiettivi TUTTI.",
    ),
    "PLAN_020": (Severity.WARNING, "ente: trovato «{found}»; le schede scrivono già «Comune di», si usa «{name}». Scrivere solo il nome."),
    "PLAN_005": (
        Severity.ERROR,
        "Settore {sector}: i pesi degli obiettivi danno {total}; atteso 100 (valutazione diretta, "
        "senza obiettivi trasversali).",
    ),
    "PLAN_006": (Severity.ERROR, "Settore {sector}: l'obiettivo n° {number} compare più volte; i numeri devono essere unici nel settore."),
    "PLAN_007": (
        Severity.ERROR,
        "Obiettivo {objective}, indicatore «{indicator}»: ATTESO «{text}» non riconosciuto ({detail}). "
        "Forme accettate: {accepted}.",
    ),
    "PLAN_008": (Severity.ERROR, "Obiettivo {objective}: il settore «{sector}» non esiste; settori del piano: {known}."),
    "PLAN_009": (Severity.ERROR, "Settore {sector}: indirizzo e-mail «{email}» non valido; atteso nome@dominio.it."),
    "PLAN_010": (Severity.WARNING, "Settore {sector}: responsabile non indicato (la scheda lo mostrerà vuoto)."),
    "PLAN_011": (Severity.WARNING, "Settore {sector}: indirizzo e-mail del responsabile non indicato (non si potrà inviare il file)."),
    "PLAN_012": (Severity.ERROR, "Settore {sector}: il codice «{sector}» è usato da più settori; i codici devono essere unici."),
    "PLAN_013": (
        Severity.ERROR,
        "Obiettivo {objective}: il settore {sector} è a valutazione diretta e i suoi obiettivi non "
        "hanno indici di risultato; trovati {count} indicatori.",
    ),
    "PLAN_014": (Severity.ERROR, "Le date delle verifiche non sono in ordine: intermedia {interim}, finale {final}; la finale deve seguire l'intermedia."),
    "PLAN_015": (Severity.INFO, "Obiettivo {objective}: nessun mese pianificato nel cronoprogramma."),
    "PLAN_016": (Severity.ERROR, "Obiettivo {objective}: {count} collegamenti DUP; al massimo 8."),
    "PLAN_018": (Severity.ERROR, "Regole di valutazione (punteggio): {detail}."),
    "PLAN_024": (Severity.ERROR, "{field}: il testo contiene un {char}; scriverlo su una riga sola, senza a capo."),
    "PLAN_025": (Severity.ERROR, "Il valore {found} si legge in modi diversi (YAML lo prenderebbe per {reading}): se è un testo scriverlo tra virgolette ({quoted}), se è un numero {fix}."),
    "PLAN_026": (Severity.WARNING, "Il testo dopo « #» è letto come un commento e non fa parte del valore (che resta «{value}»): se fa parte del testo, scrivere tutto il valore tra virgolette."),
    "PLAN_027": (Severity.ERROR, "La chiave «{key}» compare più volte nella stessa sezione (anche alla riga {other}): lasciarne una sola."),
    "PLAN_029": (
        Severity.WARNING,
        "ATTESO {found} senza virgolette è letto come il numero {reading}: se si intende {whole}, scrivere {whole} "
        "oppure \"{found}\" tra virgolette (tra virgolette il punto separa le migliaia).",
    ),
    "PLAN_028": (Severity.ERROR, "Il file del piano è rifiutato: {detail}. Un piano ha qualche migliaio di voci e pochi livelli di rientro."),
    "PLAN_017": (Severity.INFO, "Settore {sector}: indirizzo e-mail {email} di esempio (dominio example), da sostituire prima dell'invio."),
    # Reading returned files (spreadsheet.py): the file cannot be read at all
    "READ_001": (Severity.ERROR, "File non leggibile: {reason}."),
    "READ_002": (Severity.ERROR, "File danneggiato: {reason}. Riaprirlo con Excel o LibreOffice, salvarlo di nuovo e rispedirlo."),
    "READ_003": (Severity.ERROR, "File rifiutato per dimensioni: {reason}."),
    "READ_004": (Severity.ERROR, "File rifiutato: {reason}."),
    "READ_005": (Severity.ERROR, "File non leggibile: {reason}."),
    "READ_006": (Severity.ERROR, "Il file {reason}: non è un file Excel leggibile. Atteso un file .xlsx, .xlsm o .ods salvato con Excel o LibreOffice."),
    # Returned files (importer.py, sheetreader.py, values.py)
    "RET_001": (Severity.INFO, "Il file contiene macro: non vengono eseguite."),
    "RET_002": (Severity.INFO, "Il file contiene {count} collegamenti esterni: non vengono seguiti, si leggono solo i valori salvati."),
    "RET_003": (Severity.WARNING, "Foglio ignorato: {reason}."),
    "RET_004": (Severity.ERROR, "Schede di un altro piano ({count}): trovato il piano {found}, atteso {expected}; ignorate."),
    "RET_005": (Severity.ERROR, "Foglio della verifica {found}, attesa la verifica {expected}; ignorato."),
    "RET_006": (Severity.WARNING, "Settore {sector}, verifica {review}: {count} {sheets} da quelle più recenti di {newer}."),
    "RET_007": (Severity.INFO, "Stesso identico file di {other}: ignorato."),
    "RET_008": (Severity.WARNING, "Settore {sector}: manca la scheda dell'obiettivo {objective} «{title}»."),
    "RET_009": (Severity.WARNING, "La scheda {objective} è stata generata da una versione diversa del piano: si usano i valori del piano attuale."),
    "RET_010": (Severity.INFO, "{indicator}: trovato «{found}», letto come {detail}."),
    "RET_011": (Severity.ERROR, "{indicator}: trovato «{found}», atteso {detail}; valore non usato."),
    "RET_025": (
        Severity.WARNING,
        "{indicator}: trovato «{found}», letto come {detail}, ma si poteva leggere diversamente: controllare "
        "il valore e, se non è quello inteso, scriverlo con il simbolo % o con la virgola decimale (es. 95% o 0,95).",
    ),
    "RET_012": (Severity.WARNING, "{indicator}: la cella contiene una formula ({found}); si usa il valore calcolato {detail}."),
    "RET_013": (Severity.WARNING, "{indicator}: RAGGIUNTO non compilato (atteso {target}) alla verifica {review}."),
    "RET_014": (Severity.WARNING, "Il foglio ha più di {rows} righe usate: le righe oltre sono ignorate."),
    "RET_015": (Severity.ERROR, "{indicator}: «{found}» è scritto come testo, non come {detail}: la scheda non lo conta nelle medie e nemmeno il riepilogo; riscriverlo come valore (togliere il formato Testo o l'apostrofo iniziale)."),
    "RET_016": (Severity.WARNING, "La scheda {objective} compare più volte nel file: questo foglio non è usato, si usa «{used}», che {reason}."),
    "RET_017": (Severity.WARNING, "La data di salvataggio scritta nel file ({found}) non è plausibile: non è usata; per scegliere la restituzione più recente conta la data del file su disco."),
    "RET_019": (Severity.WARNING, "Nessuna scheda obiettivo del piano nel file ({count} fogli: {sheets}): il file non è usato. Rispedire la cartella ricevuta, dopo averla compilata."),
    "RET_018": (Severity.INFO, "Foglio riconosciuto dalle etichette (i dati nascosti di riconoscimento mancano)."),
    "RET_020": (Severity.WARNING, "{field} modificato nel file: trovato «{found}», nel piano «{expected}»; si usa il valore del piano."),
    "RET_021": (Severity.WARNING, "{block}: trovate {found} righe di indicatori, attese {expected}; ogni riga è abbinata al suo indicatore dal testo."),
    "RET_022": (
        Severity.ERROR,
        "{block}: la riga dell'indicatore «{indicator}» non si trova (cancellata, o testo cambiato dopo aver "
        "spostato le righe): il suo RAGGIUNTO non è letto. Ripristinare la riga com'era nella scheda ricevuta.",
    ),
    "RET_024": (Severity.WARNING, "Il testo della cella supera i {limit} caratteri che una cella può contenere: è letto solo fino a lì."),
    "RET_023": (
        Severity.WARNING,
        "Trovato «{found}» in una cella che nella scheda è coperta dall'unione {range}, quindi non si vede: il valore "
        "non è usato. Scriverlo nella cella {first}.",
    ),
    "RET_030": (Severity.ERROR, "% partecipazione di {name}: trovato {found}, atteso un valore tra 0% e 100%; valore non usato."),
    "RET_031": (Severity.WARNING, "Riga del personale senza cognome e nome."),
    "RET_040": (Severity.WARNING, "Nella cartella non ci sono file .xlsx, .xlsm od .ods."),
    # Scoring (evaluate.py)
    "EVAL_001": (Severity.ERROR, "Valutazione per il settore {sector}, obiettivo {objective}: il settore non ha questo obiettivo nel piano."),
    "EVAL_002": (Severity.WARNING, "Settore {sector}, obiettivo {objective}: valutazione diretta non ancora inserita (colonna valutazione nel file delle valutazioni)."),
    "EVAL_003": (Severity.WARNING, "Settore {sector}: la partecipazione di {name} agli obiettivi somma a {total}; attesa 100%."),
    "EVAL_004": (Severity.WARNING, "{name} compare più volte nel personale della scheda {objective}: le quote si sommano; tenere una sola riga."),
    "EVAL_005": (Severity.WARNING, "{name} (scheda {objective}): % partecipazione non compilata; il punteggio della persona resta da calcolare finché non si compila."),
    "EVAL_006": (Severity.WARNING, "{indicator}: data di completamento {found} successiva alla data della verifica ({review}); conta come scritta."),
    "EVAL_010": (Severity.ERROR, "File delle valutazioni non leggibile: {reason}. Attese le colonne settore, obiettivo, valutazione (e facoltative blocco, numero, nota)."),
    "EVAL_011": (Severity.ERROR, "Valutazione non valida: trovato «{found}», atteso un numero da 0 a 100."),
    "EVAL_012": (Severity.ERROR, "Blocco «{found}» sconosciuto: attesi Quantità, Tempo, Costo o Qualità (o vuoto per l'intero obiettivo)."),
    # Consolidation (consolidate.py)
    "CONS_001": (Severity.ERROR, "Il file o la cartella delle restituzioni non esiste: controllare il nome. Nulla è stato scritto."),
    "CONS_002": (Severity.ERROR, "Nessuna restituzione utilizzabile tra i {count} file letti: nulla è stato scritto (i file già presenti restano come sono)."),
    "CONS_003": (Severity.WARNING, "{count} schede della verifica {found} ignorate: si consolida la verifica {review} (indicare --turno per l'altra)."),
    "EVAL_013": (Severity.ERROR, "Obiettivo {objective}: il blocco {block} ha {count} indicatori, non c'è il numero {index}."),
    "EVAL_014": (Severity.ERROR, "Valutazione ripetuta: la stessa è già alla riga {other}; tenerne una sola."),
    "EVAL_015": (Severity.ERROR, "Numero dell'indicatore non valido: trovato «{found}», atteso 1, 2, 3…"),
    # Generation
    "GEN_002": (Severity.WARNING, "Settore {sector}: nessuna restituzione della verifica intermedia; il file della verifica finale non ne riporta i valori."),
    "GEN_001": (
        Severity.ERROR,
        "Il file esiste già con un contenuto diverso (forse è già stato compilato): non viene "
        "sostituito. Spostarlo, oppure rigenerare con --sovrascrivi.",
    ),
    # Sending the workbooks by e-mail (mail.py)
    "MAIL_001": (Severity.ERROR, "Settore {sector}: manca il file {name} in {folder}; generarlo con «schede generate» prima dell'invio."),
    "MAIL_002": (Severity.ERROR, "Settore {sector}: manca l'indirizzo e-mail del responsabile; indicarlo nel piano (settori, campo email)."),
    "MAIL_003": (Severity.ERROR, "Settore {sector}: indirizzo e-mail «{email}» non valido; atteso nome@dominio.it."),
    "MAIL_004": (
        Severity.ERROR,
        "Settore {sector}: l'indirizzo {email} è di esempio (dominio example) e non riceve posta; "
        "sostituirlo nel piano prima dell'invio (le bozze con --dry-run si preparano lo stesso).",
    ),
    "MAIL_005": (Severity.ERROR, "{field}: indirizzo «{email}» non valido; atteso nome@dominio.it oppure Nome <nome@dominio.it>."),
    "MAIL_006": (Severity.ERROR, "Manca {what} per l'invio: indicare «{key}» nel file di configurazione oppure la variabile {env}."),
    "MAIL_007": (
        Severity.ERROR,
        "Manca la scadenza per la restituzione dei file: indicarla con --scadenza 15/07/2023 "
        "(oppure «scadenza» nel file di configurazione).",
    ),
    "MAIL_008": (Severity.WARNING, "La scadenza {deadline} è già passata (oggi è {today}): controllare la data."),
    "MAIL_009": (Severity.ERROR, "Modello del messaggio {template}: {detail}. Segnaposto ammessi: {allowed}."),
    "MAIL_010": (Severity.ERROR, "Configurazione della posta: {detail}."),
    "MAIL_011": (
        Severity.ERROR,
        "La password non si scrive nel file di configurazione: toglierla e usare la variabile "
        "SCHEDE_SMTP_PASSWORD oppure la richiesta a video.",
    ),
    "MAIL_012": (Severity.ERROR, "--resend {sector}: settore sconosciuto o senza file da inviare; settori: {known}."),
    "MAIL_013": (
        Severity.WARNING,
        "Settore {sector}: il file {name} è cambiato dopo l'invio del {sent_at} a {to}: non viene "
        "inviata di nuovo; per inviare la nuova versione usare --resend {sector}.",
    ),
    "MAIL_014": (
        Severity.ERROR,
        "Registro degli invii: {detail}; senza registro non si sa cosa è già stato inviato. "
        "Correggere la riga o spostare il file.",
    ),
    "MAIL_015": (Severity.WARNING, "Utente e password viaggeranno in chiaro (sicurezza «nessuna»): usare starttls o ssl."),
    "MAIL_016": (
        Severity.ERROR,
        "Password del server di posta non indicata per l'utente {user}: impostare la variabile "
        "SCHEDE_SMTP_PASSWORD oppure lanciare il comando da un terminale, che la chiede.",
    ),
    "MAIL_020": (
        Severity.ERROR,
        "Impossibile collegarsi al server di posta {server}: {detail}. Controllare server, porta e "
        "sicurezza (starttls, ssl) nella configurazione.",
    ),
    "MAIL_021": (
        Severity.ERROR,
        "Il server di posta {server} non ha risposto entro {timeout} secondi. Riprovare più tardi: "
        "rilanciando il comando partono solo i messaggi mancanti.",
    ),
    "MAIL_022": (
        Severity.ERROR,
        "Il server di posta {server} ha rifiutato utente o password (utente {user}: {reply}). "
        "Controllare l'utente e la password (SCHEDE_SMTP_PASSWORD).",
    ),
    "MAIL_023": (
        Severity.ERROR,
        "Connessione sicura con il server di posta {server} non riuscita: {detail}. Se il server usa "
        "un certificato interno, indicare il file della sua autorità in «certificato_ca».",
    ),
    "MAIL_024": (Severity.ERROR, "Il server di posta {server} non offre {feature} su questa connessione; {fix}."),
    "MAIL_025": (
        Severity.ERROR,
        "Settore {sector}: il server ha rifiutato il destinatario {recipients} ({reply}): il responsabile "
        "non riceve il file. Controllare l'indirizzo e rilanciare il comando.",
    ),
    "MAIL_026": (Severity.WARNING, "Settore {sector}: messaggio inviato al responsabile, ma il server ha rifiutato la copia a {recipients} ({reply})."),
    "MAIL_027": (
        Severity.ERROR,
        "Settore {sector}: il server di posta non ha accettato il messaggio ({reply}); invio interrotto. "
        "Rilanciare il comando: partono solo i messaggi mancanti.",
    ),
    "MAIL_028": (
        Severity.ERROR,
        "Settore {sector}: messaggio inviato (Message-ID {message_id}) ma il registro {log} non si può "
        "scrivere ({detail}); invio interrotto. Aggiungere a mano l'invio al registro o non rilanciare "
        "senza controllare, per non inviarlo due volte.",
    ),
    "MAIL_030": (
        Severity.ERROR,
        "Settore {sector}: il messaggio (Message-ID {message_id}) è partito ma la risposta del server non è "
        "arrivata ({detail}): non si sa se è stato consegnato. È segnato «in invio» nel registro {log} e non "
        "viene inviato di nuovo da solo; controllare con il responsabile o nella posta inviata, poi, se serve, "
        "usare --resend {sector}.",
    ),
    "MAIL_031": (
        Severity.WARNING,
        "Settore {sector}: un invio iniziato il {started} a {to} (Message-ID {message_id}) si è interrotto prima "
        "della risposta del server: forse il messaggio è arrivato, forse no. Non viene inviato di nuovo; "
        "controllare con il responsabile e, se non è arrivato, usare --resend {sector}.",
    ),
    "MAIL_032": (
        Severity.ERROR,
        "Settore {sector}: il campo {field} contiene un {char} e non può stare nell'intestazione di un messaggio; "
        "correggerlo nel piano (su una riga sola).",
    ),
    "MAIL_033": (
        Severity.ERROR,
        "Settore {sector}: il registro degli invii {log} non si può scrivere ({detail}); il messaggio non è stato "
        "inviato, per non rischiare di inviarlo due volte. Rilanciare quando il registro è scrivibile.",
    ),
    "MAIL_029": (Severity.ERROR, "Impossibile scrivere le bozze in {folder}: {detail}."),
    # The deliverables after the final round (deliverables/)
    "DOC_001": (Severity.ERROR, "Il modello {template} non si può usare come documento Word ({detail}): indicare un file .docx salvato con Word o LibreOffice Writer."),
    # Collecting the returns from the mailbox (mail/receiving.py)
    "MBOX_001": (Severity.ERROR, "Impostazioni della casella non valide: {detail}."),
    "MBOX_002": (Severity.ERROR, "Manca {what}."),
    "MBOX_005": (
        Severity.ERROR,
        "Il registro delle ricezioni non si legge ({detail}): correggerlo o spostarlo prima di rilanciare, "
        "altrimenti gli allegati già salvati verrebbero salvati di nuovo.",
    ),
    "MBOX_010": (Severity.ERROR, "Impossibile collegarsi alla casella {server}: {detail}."),
    "MBOX_011": (
        Severity.ERROR,
        "La casella {server} rifiuta l'accesso dell'utente {user}: controllare utente e password "
        "(SCHEDE_IMAP_PASSWORD, oppure la password chiesta dal comando).",
    ),
    "MBOX_012": (
        Severity.ERROR,
        "Connessione sicura con la casella {server} non riuscita: {detail}. Il certificato del server è sempre "
        "verificato; se è di un'autorità interna indicarla con certificato_ca in [imap].",
    ),
    "MBOX_013": (Severity.ERROR, "La casella {server} non ha risposto entro {timeout} secondi; riprovare più tardi."),
    "MBOX_014": (Severity.ERROR, "La cartella «{folder}» non esiste nella casella: controllare `[imap] cartella`."),
    "MBOX_015": (
        Severity.ERROR,
        "Collegamento con la casella interrotto ({detail}). Quanto già salvato è nel registro delle ricezioni: "
        "rilanciare il comando per completare, senza doppioni.",
    ),
    "MBOX_020": (
        Severity.WARNING,
        "Messaggio {message} di {size}, oltre il limite di {limit}: non letto. Se è una restituzione, chiedere "
        "al settore di rispedire la sola cartella.",
    ),
    "MBOX_021": (Severity.WARNING, "Messaggio {message}: {detail}."),
    "MBOX_022": (Severity.INFO, "Messaggio {message} da {sender} («{subject}»): nessun file Excel allegato."),
    "MBOX_023": (Severity.WARNING, "Il messaggio {message} non è stato spostato in «{folder}»: il server non lo permette senza toccare altri messaggi; resta nella cartella letta."),
    "MBOX_030": (Severity.WARNING, "Allegato «{name}» del messaggio {message} non salvato: {reason}"),
    "MBOX_031": (Severity.WARNING, "Allegato «{name}» da {sender} messo da parte in {folder}: {reason}. Controllarlo e, se è giusto, spostarlo a mano."),
    "MBOX_032": (Severity.ERROR, "Impossibile scrivere {file}: {detail}. Quanto già salvato è nel registro; liberare spazio o correggere i permessi e rilanciare."),
    "MBOX_040": (Severity.ERROR, "Ricevuta per «{name}» a {to} non inviata ({detail}); rilanciare il comando per riprovare."),
    "MBOX_041": (
        Severity.WARNING,
        "La ricevuta per «{name}» (Message-ID {receipt}) era in invio quando il comando si è interrotto: "
        "forse è già partita, quindi non viene rispedita. Controllare la posta inviata.",
    ),
    # Plan workbooks (planbook.py) and migration of hand-made schede (migrate.py)
    "BOOK_001": (Severity.ERROR, "Il file non si può leggere come file Excel: {detail}. Salvarlo in formato .xlsx o .ods e riprovare."),
    "BOOK_002": (
        Severity.ERROR,
        "Manca il foglio «{name}» (fogli presenti: {found}); ripristinarlo, o ripartire dal modello "
        "di «schede plan-template».",
    ),
    "BOOK_003": (
        Severity.ERROR,
        "Foglio «{sheet_name}»: manca la colonna «{column}» nella riga di intestazione; ripristinarla "
        "come nel modello di «schede plan-template».",
    ),
    "BOOK_004": (Severity.WARNING, "Colonna «{column}» non riconosciuta: viene ignorata."),
    "BOOK_005": (
        Severity.ERROR,
        "La riga si riferisce all'obiettivo {sector} n° {number}, che non è nel foglio Obiettivi; "
        "correggere settore e numero.",
    ),
    "BOOK_006": (Severity.ERROR, "Blocco «{found}» non riconosciuto; ammessi: {accepted}."),
    "BOOK_007": (Severity.ERROR, "Mese di {month}: trovato «{found}»; segnare con X i mesi previsti e lasciare vuoti gli altri."),
    "BOOK_008": (Severity.WARNING, "Voce «{label}» non riconosciuta: viene ignorata."),
    "BOOK_009": (Severity.ERROR, "La voce «{label}» compare più volte; lasciarne una sola."),
    "MIGR_001": (
        Severity.ERROR,
        "Nessuna scheda obiettivo trovata: nessun foglio ha le etichette OBIETTIVO e «Comune di … "
        "ANNO … - Obiettivo strategico n° …» della scheda.",
    ),
    "MIGR_002": (Severity.INFO, "Foglio ignorato: non sembra una scheda obiettivo (mancano OBIETTIVO e «Obiettivo strategico n°»)."),
    "MIGR_003": (Severity.ERROR, "Anno delle schede non trovato nel titolo «Comune di … ANNO …»: indicare l'anno del nuovo piano con --anno."),
    "MIGR_004": (Severity.ERROR, "Nome dell'ente non trovato nel titolo «Comune di … ANNO …»: indicarlo con --ente."),
    "MIGR_005": (Severity.WARNING, "Numero dell'obiettivo non trovato («Obiettivo strategico n°»): assegnato {number}; controllarlo."),
    "MIGR_006": (Severity.WARNING, "PESO non trovato o non intero ({found}): messo 0, da completare."),
    "MIGR_007": (Severity.WARNING, "SETTORE non trovato: obiettivo assegnato al settore {sector}, da correggere."),
    "MIGR_008": (Severity.WARNING, "OBIETTIVO (il titolo) non trovato: messo «{title}», da completare."),
    "MIGR_009": (Severity.WARNING, "Indicatore «{indicator}»: ATTESO mancante, da completare."),
    "MIGR_010": (
        Severity.WARNING,
        "Date delle verifiche non trovate (VERIFICA INTERMEDIA AL, VERIFICA FINALE AL): poste al "
        "{interim} e al {final}; controllarle.",
    ),
    "MIGR_011": (Severity.WARNING, "Gli indirizzi e-mail dei responsabili non sono nelle schede: completarli nel piano (settori {sectors})."),
    "MIGR_012": (
        Severity.WARNING,
        "CRONOPROGRAMMA non trovato (la riga dei mesi G F M A M G L A S O N D): fasi senza mesi, da completare.",
    ),
    "MIGR_013": (Severity.WARNING, "Le schede indicano {what} diversi: {found}; usato {used}."),
    "MIGR_014": (
        Severity.WARNING,
        "Settore {sector}: solo alcune schede hanno gli INDICI DI RISULTATO (mancano in: {sheets}); il "
        "settore non è a valutazione diretta: completare gli indicatori.",
    ),
    "MIGR_015": (Severity.INFO, "ATTESO «{old}» portato all'anno del nuovo piano: «{new}»."),
    "MIGR_016": (Severity.INFO, "Codici dei settori proposti: {codes}; si possono cambiare (compaiono nei nomi dei file generati)."),
    "MIGR_017": (
        Severity.WARNING,
        "Nessun mese segnato nel CRONOPROGRAMMA: da completare. Se i mesi sono indicati solo dal colore "
        "delle celle, salvare il file in formato .xlsx e ripetere: i colori si leggono solo da lì.",
    ),
}


class Result(BaseModel):
    """The one kind of result the library returns: a frozen pydantic model, every field typed and documented.

    The plan, the returned values and the scores are models of this kind too, so every result
    dumps to JSON the same way (`model_dump(mode="json")`). A result's lists are filled by the
    function that returns it.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, use_attribute_docstrings=True)


class Finding(Result):
    """One problem found in a plan or in a workbook.

    `line`/`path` locate it in a plan file (line as an editor shows it, path as dotted keys);
    `sheet`/`cell` locate it in a workbook, with the cell as the spreadsheet shows it ("D20").
    Two findings are equal when they say the same thing at the same place (`params` aside).
    """

    code: str
    """The code in the catalogue, e.g. PLAN_003."""
    message: str
    """The Italian message: what was found and what was expected."""
    severity: Severity
    """errore, avviso or info."""
    file: str | None = None
    """The file, as given."""
    sheet: str | None = None
    """The worksheet's name."""
    cell: str | None = None
    """The cell as the spreadsheet shows it, e.g. D20."""
    line: int | None = None
    """The line in a plan file, as an editor shows it."""
    path: str | None = None
    """The key path in a plan file, e.g. obiettivi[3].peso; in a plan workbook, the column's name."""
    params: dict[str, Any] = Field(default_factory=dict)
    """The values the message was filled with, for programs."""

    def _key(self) -> tuple[object, ...]:
        return (self.code, self.message, self.severity, self.file, self.sheet, self.cell, self.line, self.path)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Finding) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def location(self) -> str:
        """The place as a user reads it: `file, riga 12 (obiettivi[3].peso)` or `file, foglio X, cella D20`."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"foglio «{self.sheet}»")
        if self.cell:
            parts.append(f"cella {self.cell}")
        if self.line:
            parts.append(f"riga {self.line}")
        where = ", ".join(parts)
        if self.path:
            where = f"{where} ({self.path})" if where else self.path
        return where

    def __str__(self) -> str:
        where = self.location
        return f"{self.severity.value.upper()} {self.code} {where}: {self.message}" if where else (
            f"{self.severity.value.upper()} {self.code}: {self.message}"
        )

    def as_row(self) -> dict:
        """A flat dict, one column per field, for tables and exports."""
        return {
            "codice": self.code,
            "gravita": self.severity.value,
            "file": self.file,
            "foglio": self.sheet,
            "cella": self.cell,
            "riga": self.line,
            "percorso": self.path,
            "messaggio": self.message,
        }


def finding(code: str, *, file=None, sheet=None, cell=None, line=None, path=None, **params) -> Finding:
    """Build a finding from the catalogue, filling its message template with `params`."""
    severity, template = CATALOGUE[code]
    return Finding(
        code=code,
        message=template.format(**params),
        severity=severity,
        file=file,
        sheet=sheet,
        cell=cell,
        line=line,
        path=path,
        params=params,
    )


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.severity is Severity.ERROR for f in findings)


class SchedeError(Exception):
    """Work that cannot go on; carries the findings that say why."""

    def __init__(self, findings: list[Finding]):
        self.findings = list(findings)
        super().__init__("\n".join(str(f) for f in self.findings))
