# Observatory: official statistics beside the network's own data.
ob-title = Observatory: foreign residents
ob-intro = Foreign citizens resident in each province on 1 January, as ISTAT publishes them, and non-EU citizens holding a residence permit.
ob-years = Year
ob-italy-residents = Foreign residents in Italy on 1 January { $year }
ob-italy-permits = Non-EU citizens holding a residence permit on 1 January { $year }
ob-men = men
ob-women = women
ob-table-caption = Foreign residents by province on 1 January { $year }.
ob-province = Province
ob-region = Region
ob-total = Total
ob-api = The same data, by territory, year, sex and citizenship, in the open API:
