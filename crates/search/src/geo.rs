//! Points in the index: packed into one `u64` fast-field value each (so a service's several
//! locations stay paired), plus grid-cell terms at a few sizes so a radius query reads only the
//! postings of the cells around the centre instead of every document.

use crocevia_core::territory::Point;

/// Cell sizes in degrees, finest first.
const LEVELS: [f64; 4] = [0.1, 0.5, 2.0, 10.0];
/// The most cells a radius query may name at one level; above it the next level is used.
const MAX_CELLS: i64 = 64;
const KM_PER_DEGREE_LAT: f64 = 111.2;

pub(crate) fn pack(p: Point) -> u64 {
    let lat = ((p.lat + 90.0) * 1e6).round().clamp(0.0, 180e6) as u64;
    let lon = ((p.lon + 180.0) * 1e6).round().clamp(0.0, 360e6) as u64;
    (lat << 32) | lon
}

pub(crate) fn unpack(v: u64) -> Point {
    Point {
        lat: (v >> 32) as f64 / 1e6 - 90.0,
        lon: (v & 0xFFFF_FFFF) as f64 / 1e6 - 180.0,
    }
}

fn cell(level: usize, lat: f64, lon: f64) -> (i64, i64) {
    let size = LEVELS[level];
    ((lat / size).floor() as i64, (lon / size).floor() as i64)
}

fn cell_term(level: usize, (y, x): (i64, i64)) -> String {
    format!("{level}:{y}:{x}")
}

/// The cell terms of a point, one per level.
pub(crate) fn cells_of(p: Point) -> impl Iterator<Item = String> {
    (0..LEVELS.len()).map(move |level| cell_term(level, cell(level, p.lat, p.lon)))
}

/// The cell terms covering a circle (a superset: the distance is checked exactly afterwards),
/// or `None` when even the largest cells would be too many (a radius of thousands of km).
pub(crate) fn cells_around(centre: Point, radius_km: f64) -> Option<Vec<String>> {
    let dlat = radius_km / KM_PER_DEGREE_LAT;
    let lat_min = (centre.lat - dlat).max(-90.0);
    let lat_max = (centre.lat + dlat).min(90.0);
    let widest = lat_min
        .abs()
        .max(lat_max.abs())
        .min(89.0)
        .to_radians()
        .cos();
    let dlon = (radius_km / (KM_PER_DEGREE_LAT * widest)).min(180.0);
    for level in 0..LEVELS.len() {
        let (y0, x0) = cell(level, lat_min, centre.lon - dlon);
        let (y1, x1) = cell(level, lat_max, centre.lon + dlon);
        if (y1 - y0 + 1) * (x1 - x0 + 1) <= MAX_CELLS {
            let mut out = Vec::new();
            for y in y0..=y1 {
                for x in x0..=x1 {
                    out.push(cell_term(level, (y, x)));
                }
            }
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_keeps_about_a_tenth_of_a_metre() {
        let p = Point {
            lat: 42.34981,
            lon: -13.39953,
        };
        let q = unpack(pack(p));
        assert!(p.distance_km(&q) < 0.001);
    }

    #[test]
    fn the_cells_around_a_point_include_its_own() {
        let pizzoli = Point {
            lat: 42.4357,
            lon: 13.3049,
        };
        let laquila = Point {
            lat: 42.3498,
            lon: 13.3995,
        };
        let around = cells_around(pizzoli, 15.0).unwrap();
        assert!(around.len() <= MAX_CELLS as usize);
        assert!(cells_of(laquila).any(|c| around.contains(&c)));
        let wide = cells_around(pizzoli, 300.0).unwrap();
        assert!(cells_of(laquila).any(|c| wide.contains(&c)));
    }
}
