"""督办 (design §11): consequence rules, the cards and items they bring, and each item's steps until
销号."""
