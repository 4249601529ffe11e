//! Boundaries as SVG paths, for server-rendered maps.
//!
//! The projection is equirectangular with longitudes scaled by the cosine of the middle
//! latitude of the layer: across Italy's 11 degrees of latitude it distorts shapes by a few
//! per cent at the ends, far less than a reader notices, and unlike Mercator it keeps the
//! arithmetic trivial. Arcs are simplified (Douglas–Peucker) once, before polygons are
//! assembled, so neighbouring areas still share exactly the same border; coordinates are then
//! rounded to a tenth of a pixel and written as relative moves, which keeps a map of the 107
//! provinces to a few tens of kilobytes.

use super::topojson::{self, Position, TopoJsonError};

/// One area: its code (the value of the layer's code property), its name and its outline.
#[derive(Debug, Clone, PartialEq)]
pub struct MapArea {
    pub code: String,
    pub name: String,
    /// An SVG path (`d` attribute) in the layer's pixel coordinates.
    pub path: String,
}

/// Areas projected into a `width` × `height` pixel box, origin top left.
#[derive(Debug, Clone, PartialEq)]
pub struct MapLayer {
    pub width: f64,
    pub height: f64,
    /// Sorted by code.
    pub areas: Vec<MapArea>,
}

impl MapLayer {
    pub fn area(&self, code: &str) -> Option<&MapArea> {
        self.areas
            .binary_search_by(|a| a.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.areas[i])
    }

    /// Total length of the paths, in bytes: what the layer adds to a page.
    pub fn path_bytes(&self) -> usize {
        self.areas.iter().map(|a| a.path.len()).sum()
    }
}

/// How to draw a layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapOptions {
    /// Width of the drawing, in pixels; the height follows from the shape.
    pub width: f64,
    /// Largest distance, in pixels, a simplified border may stray from the original.
    pub tolerance: f64,
}

impl Default for MapOptions {
    fn default() -> Self {
        Self {
            width: 480.0,
            tolerance: 0.6,
        }
    }
}

/// The scale from degrees to pixels.
#[derive(Debug, Clone, Copy)]
struct Projection {
    lon_min: f64,
    lat_max: f64,
    /// cos(middle latitude): how much shorter a degree of longitude is.
    kx: f64,
    /// Pixels per degree of latitude.
    scale: f64,
}

impl Projection {
    fn point(&self, p: Position) -> (f64, f64) {
        (
            (p[0] - self.lon_min) * self.kx * self.scale,
            (self.lat_max - p[1]) * self.scale,
        )
    }
}

/// Projects the polygons of a TopoJSON document: each feature with a `code_property` becomes
/// an area (named by `name_property`); features without area or code are left out.
pub fn project(
    bytes: &[u8],
    code_property: &str,
    name_property: &str,
    options: MapOptions,
) -> Result<MapLayer, TopoJsonError> {
    let features = topojson::decode(bytes)?;
    let (mut lon_min, mut lon_max, mut lat_min, mut lat_max) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for p in features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .flat_map(|g| g.polygons.iter().flatten().flatten())
    {
        lon_min = lon_min.min(p[0]);
        lon_max = lon_max.max(p[0]);
        lat_min = lat_min.min(p[1]);
        lat_max = lat_max.max(p[1]);
    }
    if !(lon_min < lon_max && lat_min < lat_max) {
        return Ok(MapLayer {
            width: options.width,
            height: 0.0,
            areas: Vec::new(),
        });
    }
    let kx = ((lat_min + lat_max) / 2.0).to_radians().cos();
    let scale = options.width / ((lon_max - lon_min) * kx);
    let projection = Projection {
        lon_min,
        lat_max,
        kx,
        scale,
    };
    // The tolerance in degrees of latitude (longitudes are compared after scaling by kx).
    let tolerance = options.tolerance / scale;
    let simplified = topojson::decode_with(bytes, |arc| simplify(arc, kx, tolerance))?;
    let mut areas: Vec<MapArea> = simplified
        .into_iter()
        .filter_map(|f| {
            let code = f.properties.get(code_property)?.as_str()?.to_owned();
            let name = f
                .properties
                .get(name_property)
                .and_then(|v| v.as_str())
                .unwrap_or(&code)
                .to_owned();
            let geometry = f.geometry?;
            let mut path = String::new();
            for ring in geometry.polygons.iter().flatten() {
                write_ring(&mut path, ring, &projection);
            }
            (!path.is_empty()).then_some(MapArea { code, name, path })
        })
        .collect();
    areas.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(MapLayer {
        width: options.width,
        height: ((lat_max - lat_min) * scale * 10.0).round() / 10.0,
        areas,
    })
}

/// Appends a closed ring as `M x y l dx dy … z` in tenths of a pixel, dropping points that
/// round onto the previous one; rings that shrink below a triangle are left out.
fn write_ring(out: &mut String, ring: &[Position], projection: &Projection) {
    let mut points: Vec<(i64, i64)> = Vec::with_capacity(ring.len());
    for &p in ring {
        let (x, y) = projection.point(p);
        let q = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
        if points.last() != Some(&q) {
            points.push(q);
        }
    }
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    if points.len() < 3 {
        return;
    }
    let (x0, y0) = points[0];
    out.push('M');
    out.push_str(&tenths(x0));
    out.push(' ');
    out.push_str(&tenths(y0));
    out.push('l');
    let mut previous = points[0];
    for (i, &(x, y)) in points.iter().enumerate().skip(1) {
        if i > 1 {
            out.push(' ');
        }
        out.push_str(&tenths(x - previous.0));
        out.push(' ');
        out.push_str(&tenths(y - previous.1));
        previous = (x, y);
    }
    out.push('z');
}

/// A number of tenths as a decimal: `12` → `1.2`, `-30` → `-3`, `5` → `.5`.
fn tenths(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    let (whole, tenth) = (n.abs() / 10, n.abs() % 10);
    match (whole, tenth) {
        (w, 0) => format!("{sign}{w}"),
        (0, t) => format!("{sign}.{t}"),
        (w, t) => format!("{sign}{w}.{t}"),
    }
}

/// Douglas–Peucker on one arc, ends kept; distances in degrees of latitude, longitudes scaled
/// by `kx`.
fn simplify(arc: &mut Vec<Position>, kx: f64, tolerance: f64) {
    if arc.len() < 3 {
        return;
    }
    let mut keep = vec![false; arc.len()];
    keep[0] = true;
    keep[arc.len() - 1] = true;
    let mut stack = vec![(0, arc.len() - 1)];
    while let Some((first, last)) = stack.pop() {
        if last <= first + 1 {
            continue;
        }
        let (ax, ay) = (arc[first][0] * kx, arc[first][1]);
        let (bx, by) = (arc[last][0] * kx, arc[last][1]);
        let (dx, dy) = (bx - ax, by - ay);
        let length = (dx * dx + dy * dy).sqrt();
        let (mut farthest, mut distance) = (first, 0.0);
        for (i, p) in arc.iter().enumerate().take(last).skip(first + 1) {
            let (px, py) = (p[0] * kx - ax, p[1] - ay);
            let d = if length == 0.0 {
                (px * px + py * py).sqrt()
            } else {
                (px * dy - py * dx).abs() / length
            };
            if d > distance {
                (farthest, distance) = (i, d);
            }
        }
        if distance > tolerance {
            keep[farthest] = true;
            stack.push((first, farthest));
            stack.push((farthest, last));
        }
    }
    let mut i = 0;
    arc.retain(|_| {
        i += 1;
        keep[i - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_are_short() {
        assert_eq!(tenths(12), "1.2");
        assert_eq!(tenths(-30), "-3");
        assert_eq!(tenths(5), ".5");
        assert_eq!(tenths(-5), "-.5");
        assert_eq!(tenths(0), "0");
    }

    #[test]
    fn simplification_keeps_ends_and_corners() {
        // A roof with a real corner at (2, 1) and two points a hair off its slopes.
        let mut arc = vec![
            [0.0, 0.0],
            [1.0, 0.501],
            [2.0, 1.0],
            [3.0, 0.499],
            [4.0, 0.0],
        ];
        simplify(&mut arc, 1.0, 0.01);
        assert_eq!(arc, vec![[0.0, 0.0], [2.0, 1.0], [4.0, 0.0]]);
        let mut short = vec![[0.0, 0.0], [1.0, 1.0]];
        simplify(&mut short, 1.0, 10.0);
        assert_eq!(short.len(), 2);
    }

    /// Two unit squares side by side sharing an arc, at 40..41 N.
    const TWO_SQUARES: &str = r#"{"type":"Topology","arcs":[
        [[11,40],[11,40.5],[11,41]],
        [[11,41],[10,41],[10,40],[11,40]],
        [[11,40],[12,40],[12,41],[11,41]]
    ],"objects":{"o":{"type":"GeometryCollection","geometries":[
        {"type":"Polygon","arcs":[[0,1]],"properties":{"code":"b","name":"West"}},
        {"type":"Polygon","arcs":[[2,-1]],"properties":{"code":"a"}},
        {"type":"Polygon","arcs":[[0]]}
    ]}}}"#;

    #[test]
    fn squares_project_into_the_box() {
        let layer = project(
            TWO_SQUARES.as_bytes(),
            "code",
            "name",
            MapOptions {
                width: 200.0,
                tolerance: 0.5,
            },
        )
        .unwrap();
        // Two degrees of longitude at 40.5 N are 2·cos(40.5°) = 1.52 degrees of latitude wide:
        // 200 px wide makes one degree of latitude 131.5 px.
        let kx = 40.5_f64.to_radians().cos();
        assert!((layer.height - (200.0 / (2.0 * kx) * 10.0).round() / 10.0).abs() < 1e-9);
        assert_eq!(
            layer
                .areas
                .iter()
                .map(|a| a.code.as_str())
                .collect::<Vec<_>>(),
            vec!["a", "b"],
            "sorted by code; the feature without a code is left out"
        );
        let west = layer.area("b").unwrap();
        assert_eq!(west.name, "West");
        assert_eq!(layer.area("a").unwrap().name, "a", "no name: the code");
        // The shared arc's middle point is on a straight line: simplified away. The west
        // square starts at (11 E, 40 N), the bottom right corner: 4 corners, the closing
        // point dropped (z closes), then relative moves.
        assert_eq!(west.path, "M100 131.5l0 -131.5 -100 0 0 131.5z");
    }

    #[test]
    fn shared_borders_stay_shared() {
        // Both squares must contain the shared border's end points at the same pixels.
        let layer = project(
            TWO_SQUARES.as_bytes(),
            "code",
            "name",
            MapOptions::default(),
        )
        .unwrap();
        let absolute = |path: &str| -> Vec<(i64, i64)> {
            let body = path.trim_start_matches('M').trim_end_matches('z');
            let (start, rest) = body.split_once('l').unwrap();
            let parse = |s: &str| (s.parse::<f64>().unwrap() * 10.0).round() as i64;
            let mut nums = start.split(' ').map(parse);
            let mut p = (nums.next().unwrap(), nums.next().unwrap());
            let mut out = vec![p];
            let deltas: Vec<i64> = rest.split(' ').map(parse).collect();
            for d in deltas.chunks(2) {
                p = (p.0 + d[0], p.1 + d[1]);
                out.push(p);
            }
            out
        };
        let a = absolute(&layer.area("a").unwrap().path);
        let b = absolute(&layer.area("b").unwrap().path);
        let shared: Vec<_> = a.iter().filter(|p| b.contains(p)).collect();
        assert_eq!(shared.len(), 2, "{a:?} {b:?}");
    }

    #[test]
    fn the_shipped_boundaries_make_small_maps() {
        let sources = crate::territory::embedded_sources();
        let provinces = project(
            sources.province_boundaries,
            "prov_istat_code",
            "prov_name",
            MapOptions::default(),
        )
        .unwrap();
        assert_eq!(provinces.areas.len(), 107);
        assert!(provinces.area("066").is_some(), "L'Aquila");
        assert!(
            (500.0..700.0).contains(&provinces.height),
            "Italy is taller than wide: {}",
            provinces.height
        );
        let bytes = provinces.path_bytes();
        assert!(bytes < 60_000, "107 provinces in {bytes} bytes");
        let regions = project(
            sources.region_boundaries,
            "reg_istat_code",
            "reg_name",
            MapOptions::default(),
        )
        .unwrap();
        assert_eq!(regions.areas.len(), 20);
        assert!(regions.path_bytes() < 30_000, "{}", regions.path_bytes());
        let abruzzo = project(
            sources.comune_boundaries[12],
            "com_istat_code",
            "name",
            MapOptions::default(),
        )
        .unwrap();
        assert_eq!(abruzzo.areas.len(), 305, "Abruzzo's comuni");
        assert_eq!(abruzzo.area("066049").unwrap().name, "L'Aquila");
        eprintln!(
            "path bytes: regions {}, provinces {bytes}, comuni of Abruzzo {}",
            regions.path_bytes(),
            abruzzo.path_bytes()
        );
        assert!(abruzzo.path_bytes() < 70_000, "{}", abruzzo.path_bytes());
    }
}
