"""Write the demo Word transcript ``transcripts/entretien-hery.docx``.

A fictional French interview laid out the way many transcription services
deliver them: a title, a short header, then a two-column table
(speaker | text). Run ``python tests/formats/make_demo_docx.py`` to rebuild it;
the output is deterministic apart from the zip timestamps python-docx writes.
"""

from __future__ import annotations

from pathlib import Path

TURNS = [
    ("Enquêtrice", "Bonjour Hery. Merci de me recevoir. Pouvez-vous d'abord me dire quel est votre travail ?"),
    ("Hery", "Bonjour. Je travaille à Antananarivo, dans une entreprise de sous-traitance qui fait du traitement de données pour des clients en France. Mon poste, c'est « opérateur vision ». Concrètement, je regarde des images de caméras de magasins en France, en direct, et je signale quand quelqu'un met un produit dans son sac sans passer à la caisse."),
    ("Enquêtrice", "Donc ce sont des caméras de surveillance de supermarchés français ?"),
    ("Hery", "Oui. Le client est une start-up parisienne qui vend un logiciel de « détection automatique des vols par intelligence artificielle ». Les magasins pensent que c'est l'IA qui détecte. En réalité, l'algorithme fait beaucoup d'erreurs, alors chaque alerte passe par nous. Nous sommes l'intelligence de l'intelligence artificielle, comme on dit entre collègues, en riant un peu jaune."),
    ("Enquêtrice", "Comment êtes-vous arrivé à ce poste ?"),
    ("Hery", "J'ai une licence en informatique et un master en gestion. Ici, il n'y a pas beaucoup de postes pour les diplômés. Les centres d'appels et les entreprises de données recrutent parce que nous parlons bien français et que nous coûtons beaucoup moins cher qu'en France. Dans mon équipe, il y a une juriste, deux ingénieurs, un ancien professeur de lycée. Tout le monde est surqualifié pour ce travail."),
    ("Enquêtrice", "Combien êtes-vous payé ?"),
    ("Hery", "Je gagne environ cent quatre-vingts euros par mois, avec une prime si j'atteins les objectifs. C'est un peu plus que le salaire d'un fonctionnaire débutant ici, donc les gens disent que j'ai de la chance. Mais je sais que pour le même travail, en France, on paierait au moins le SMIC. Le client facture sûrement son logiciel très cher aux magasins."),
    ("Hery", "La prime dépend du nombre d'alertes traitées par heure. Si le réseau coupe, et ça arrive souvent ici, les minutes perdues sont retirées. Le mois dernier, avec les coupures d'électricité, j'ai perdu presque toute la prime."),
    ("Enquêtrice", "Avez-vous un contrat stable ?"),
    ("Hery", "J'ai un contrat de six mois, renouvelé deux fois. Chaque fois, on ne sait pas si le client va continuer. L'année dernière, un autre client est parti au Maroc du jour au lendemain, et cent vingt personnes ont perdu leur poste. On vit avec cette peur. On ne peut pas prendre de crédit, on ne peut pas faire de projets."),
    ("Enquêtrice", "Comment votre travail est-il organisé et contrôlé ?"),
    ("Hery", "Tout est mesuré. Le logiciel compte le temps de réponse à chaque alerte, le taux d'erreur, les pauses. Il y a un classement des opérateurs affiché chaque semaine. Le superviseur regarde le tableau de bord et vient nous voir si nous sommes en rouge. Les pauses toilettes sont comptées. Quelquefois j'ai l'impression d'être moi-même surveillé par une caméra, comme les clients que je surveille."),
    ("Hery", "C'est étrange : je regarde des gens faire leurs courses à Lyon ou à Lille, je connais leurs magasins mieux que le mien, et eux ne savent pas que j'existe."),
    ("Enquêtrice", "Est-ce que vous en parlez autour de vous ?"),
    ("Hery", "Nous avons signé une clause de confidentialité. Je ne peux pas dire le nom du client. Ma famille sait que je travaille « dans l'informatique pour la France ». Pour eux, c'est prestigieux. Ils ne savent pas que c'est un travail répétitif, la nuit souvent, à cause du décalage horaire avec les magasins."),
    ("Enquêtrice", "Avez-vous la possibilité de vous exprimer collectivement, par un syndicat par exemple ?"),
    ("Hery", "Il y a eu une tentative de créer une association des travailleurs du secteur. La direction a dit que si nous causions des problèmes, le client partirait ailleurs, au Kenya ou en Inde. Tout le monde a eu peur. Chacun reste à son poste avec son casque, on ne se parle pas beaucoup. On est nombreux dans la même salle, mais chacun est seul."),
    ("Enquêtrice", "Qu'est-ce que ce travail vous fait, personnellement ?"),
    ("Hery", "La fatigue, surtout. Les yeux, le dos. Et une forme de honte, parfois, de dénoncer des gens pauvres qui volent de la nourriture. Une fois j'ai vu une vieille dame prendre du lait. J'ai hésité longtemps avant de valider l'alerte. Si je ne la valide pas, mon taux d'erreur augmente."),
    ("Enquêtrice", "Que faudrait-il changer, selon vous ?"),
    ("Hery", "Que les entreprises françaises soient responsables de toute la chaîne, même quand elles passent par un sous-traitant à Madagascar. Qu'on dise la vérité aux clients : ce n'est pas seulement une machine, ce sont des personnes. Et que nous ayons un vrai statut, un salaire correct, des contrats plus longs. Je ne demande pas le salaire français, je demande le respect."),
    ("Enquêtrice", "Merci beaucoup, Hery."),
]


def build(path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading("Entretien avec Hery, opérateur de vérification vidéo (Antananarivo)", level=1)
    doc.add_paragraph("Entretien réalisé en visioconférence le 22 mai 2024. Les noms sont des pseudonymes.")
    table = doc.add_table(rows=0, cols=2)
    for speaker, text in TURNS:
        cells = table.add_row().cells
        cells[0].text = speaker
        cells[1].text = text
    doc.add_paragraph("Fin de l'entretien.")
    doc.save(str(path))


if __name__ == "__main__":
    out = Path(__file__).resolve().parents[2] / "transcripts" / "entretien-hery.docx"
    build(out)
    print(f"wrote {out}")
