# Osservatorio: statistiche ufficiali accanto ai dati della rete.
ob-title = Osservatorio: cittadini stranieri residenti
ob-intro = Cittadini stranieri residenti per provincia al 1° gennaio, come li pubblica l'ISTAT, e titolari di permesso di soggiorno non comunitari.
ob-years = Anno
ob-italy-residents = Stranieri residenti in Italia al 1° gennaio { $year }
ob-italy-permits = Cittadini non comunitari con permesso di soggiorno al 1° gennaio { $year }
ob-men = uomini
ob-women = donne
ob-table-caption = Stranieri residenti per provincia al 1° gennaio { $year }.
ob-province = Provincia
ob-region = Regione
ob-total = Totale
ob-api = Gli stessi dati, per territorio, anno, sesso e cittadinanza, nell'API aperta:
