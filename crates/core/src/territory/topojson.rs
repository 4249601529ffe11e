//! A small TopoJSON decoder, just what boundary files need: polygons and their centroids.
//!
//! Hand-written rather than taken from a crate because we need only a sliver of the format
//! (<https://github.com/topojson/topojson-specification>): the quantized `transform`
//! (delta-encoded arcs scaled and translated back to lon/lat), arc references where a negative
//! index `i` means arc `!i` (`~i` in JavaScript) walked backwards, and `Polygon` /
//! `MultiPolygon` geometries, possibly inside (nested) `GeometryCollection`s. Geometries with
//! no area (points, lines, `null`) decode to no geometry.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::Point;

/// A `[lon, lat]` position.
pub type Position = [f64; 2];

/// One geometry of the topology with its properties (e.g. `com_istat_code`).
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The object (key of `objects`) the geometry came from, for error messages.
    pub object: String,
    pub properties: Map<String, Value>,
    /// `None` for geometries without area (`null`, points, lines).
    pub geometry: Option<Geometry>,
}

/// A polygon or multipolygon as absolute positions. Each polygon is a list of closed rings: the
/// first is the outer boundary, the others are holes (winding order is not relied upon, because
/// TopoJSON producers disagree on it).
#[derive(Debug, Clone, PartialEq)]
pub struct Geometry {
    pub polygons: Vec<Vec<Vec<Position>>>,
}

/// Why a TopoJSON document could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum TopoJsonError {
    #[error("not valid TopoJSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("expected a \"Topology\", found type {0:?}")]
    NotATopology(String),
    #[error("object {object:?}, geometry {index}: {message}")]
    Geometry {
        object: String,
        index: usize,
        message: String,
    },
}

/// Decodes every geometry of every object of a topology, flattening `GeometryCollection`s.
pub fn decode(bytes: &[u8]) -> Result<Vec<Feature>, TopoJsonError> {
    decode_with(bytes, |_| {})
}

/// [`decode`], after passing every arc (as absolute positions) to `simplify`, which may drop
/// points but must keep both ends. Shared borders are one arc in TopoJSON, so neighbours
/// stay seamless however an arc is simplified.
pub fn decode_with(
    bytes: &[u8],
    simplify: impl Fn(&mut Vec<Position>),
) -> Result<Vec<Feature>, TopoJsonError> {
    let raw: RawTopology = serde_json::from_slice(bytes)?;
    if raw.kind != "Topology" {
        return Err(TopoJsonError::NotATopology(raw.kind));
    }
    let mut arcs = absolute_arcs(raw.arcs, raw.transform.as_ref());
    for arc in &mut arcs {
        simplify(arc);
    }
    let mut features = Vec::new();
    for (object, geometry) in raw.objects {
        let mut index = 0;
        flatten(&object, geometry, &arcs, &mut index, &mut features)?;
    }
    Ok(features)
}

impl Geometry {
    /// The area-weighted centroid of the outer rings minus the holes.
    ///
    /// Uses the planar (shoelace) formula on lon/lat degrees, which gives the centroid in an
    /// equirectangular projection (scaling longitudes by a fixed `cos(lat0)` does not move it).
    /// It departs from the true surface centroid only as `cos(lat)` varies inside the shape:
    /// negligible for a comune, under a kilometre for a region. The centroid can fall outside a
    /// strongly concave shape (a coastal crescent): it is a reference point for distances, not
    /// a guaranteed inner point.
    pub fn centroid(&self) -> Option<Point> {
        let origin = *self.polygons.first()?.first()?.first()?;
        let (mut area, mut moment_x, mut moment_y) = (0.0, 0.0, 0.0);
        for polygon in &self.polygons {
            for (i, ring) in polygon.iter().enumerate() {
                let (a, mx, my) = ring_moments(ring, origin);
                // Outer rings add, holes subtract, whatever their winding.
                let sign = if i == 0 { a.signum() } else { -a.signum() };
                area += sign * a;
                moment_x += sign * mx;
                moment_y += sign * my;
            }
        }
        if !(area.is_finite() && area > 0.0) {
            return None;
        }
        Some(Point {
            lon: origin[0] + moment_x / area,
            lat: origin[1] + moment_y / area,
        })
    }
}

/// Signed area and signed first moments of a ring, relative to `origin` (shifting the
/// coordinates keeps the cross products small, so they cancel without losing precision).
fn ring_moments(ring: &[Position], origin: Position) -> (f64, f64, f64) {
    let (mut area2, mut mx6, mut my6) = (0.0, 0.0, 0.0);
    for (i, p) in ring.iter().enumerate() {
        let q = ring[(i + 1) % ring.len()];
        let (x0, y0) = (p[0] - origin[0], p[1] - origin[1]);
        let (x1, y1) = (q[0] - origin[0], q[1] - origin[1]);
        let cross = x0 * y1 - x1 * y0;
        area2 += cross;
        mx6 += (x0 + x1) * cross;
        my6 += (y0 + y1) * cross;
    }
    (area2 / 2.0, mx6 / 6.0, my6 / 6.0)
}

fn flatten(
    object: &str,
    geometry: RawGeometry,
    arcs: &[Vec<Position>],
    index: &mut usize,
    out: &mut Vec<Feature>,
) -> Result<(), TopoJsonError> {
    if geometry.kind.as_deref() == Some("GeometryCollection") {
        for child in geometry.geometries {
            flatten(object, child, arcs, index, out)?;
        }
        return Ok(());
    }
    let error = |message: String| TopoJsonError::Geometry {
        object: object.to_owned(),
        index: *index,
        message,
    };
    let decoded = match geometry.kind.as_deref() {
        Some("Polygon") => {
            let refs: Vec<Vec<i64>> = arc_refs(geometry.arcs).map_err(error)?;
            Some(vec![polygon(arcs, &refs).map_err(error)?])
        }
        Some("MultiPolygon") => {
            let refs: Vec<Vec<Vec<i64>>> = arc_refs(geometry.arcs).map_err(error)?;
            let polygons = refs.iter().map(|p| polygon(arcs, p));
            Some(polygons.collect::<Result<_, _>>().map_err(error)?)
        }
        _ => None,
    };
    out.push(Feature {
        object: object.to_owned(),
        properties: geometry.properties.unwrap_or_default(),
        geometry: decoded.map(|polygons| Geometry { polygons }),
    });
    *index += 1;
    Ok(())
}

fn arc_refs<T: serde::de::DeserializeOwned>(arcs: Option<Value>) -> Result<T, String> {
    let arcs = arcs.ok_or("polygon without \"arcs\"")?;
    serde_json::from_value(arcs).map_err(|e| format!("bad \"arcs\": {e}"))
}

fn polygon(arcs: &[Vec<Position>], rings: &[Vec<i64>]) -> Result<Vec<Vec<Position>>, String> {
    rings.iter().map(|refs| ring(arcs, refs)).collect()
}

/// Concatenates the referenced arcs; consecutive arcs share an end point, kept once.
fn ring(arcs: &[Vec<Position>], refs: &[i64]) -> Result<Vec<Position>, String> {
    let mut out: Vec<Position> = Vec::new();
    for &r in refs {
        let (index, reversed) = if r >= 0 { (r, false) } else { (!r, true) };
        let arc = usize::try_from(index)
            .ok()
            .and_then(|i| arcs.get(i))
            .ok_or_else(|| format!("arc {r} does not exist ({} arcs)", arcs.len()))?;
        let skip = usize::from(!out.is_empty());
        if reversed {
            out.extend(arc.iter().rev().skip(skip));
        } else {
            out.extend(arc.iter().skip(skip));
        }
    }
    Ok(out)
}

/// Undoes quantization: with a transform, positions are deltas from the previous one, in
/// units of `scale`, starting from `translate`.
fn absolute_arcs(arcs: Vec<Vec<RawPosition>>, transform: Option<&Transform>) -> Vec<Vec<Position>> {
    let Some(t) = transform else {
        return arcs
            .into_iter()
            .map(|arc| arc.into_iter().map(|p| p.0).collect())
            .collect();
    };
    arcs.into_iter()
        .map(|arc| {
            let (mut x, mut y) = (0.0, 0.0);
            arc.into_iter()
                .map(|RawPosition([dx, dy])| {
                    x += dx;
                    y += dy;
                    [
                        x * t.scale[0] + t.translate[0],
                        y * t.scale[1] + t.translate[1],
                    ]
                })
                .collect()
        })
        .collect()
}

#[derive(Deserialize)]
struct RawTopology {
    #[serde(rename = "type")]
    kind: String,
    transform: Option<Transform>,
    #[serde(default)]
    arcs: Vec<Vec<RawPosition>>,
    #[serde(default)]
    objects: BTreeMap<String, RawGeometry>,
}

#[derive(Deserialize)]
struct Transform {
    scale: [f64; 2],
    translate: [f64; 2],
}

#[derive(Deserialize)]
struct RawGeometry {
    #[serde(rename = "type")]
    kind: Option<String>,
    arcs: Option<Value>,
    #[serde(default)]
    geometries: Vec<RawGeometry>,
    properties: Option<Map<String, Value>>,
}

/// A position read without allocating a `Vec` per point: the first two numbers, any further
/// ones (z) ignored. (`[f64; 2]` would reject a third coordinate.)
struct RawPosition(Position);

impl<'de> Deserialize<'de> for RawPosition {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PositionVisitor;
        impl<'de> Visitor<'de> for PositionVisitor {
            type Value = RawPosition;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a position [x, y]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawPosition, A::Error> {
                let x = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let y = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RawPosition([x, y]))
            }
        }
        d.deserialize_seq(PositionVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit square (10..11 E, 40..41 N) with a square hole of side 0.25 at (10.5, 40.5),
    /// quantized with scale 0.25. Its outer ring is two arcs, the second walked backwards
    /// (`-2` = `~1`); `hole` chooses the hole's winding.
    fn square_with_hole(hole: i64) -> String {
        format!(
            r#"{{"type":"Topology",
            "transform":{{"scale":[0.25,0.25],"translate":[10,40]}},
            "arcs":[
                [[0,0],[4,0],[0,4]],
                [[0,0],[0,4],[4,0]],
                [[2,2],[0,1],[1,0],[0,-1],[-1,0]]
            ],
            "objects":{{"squares":{{"type":"GeometryCollection","geometries":[
                {{"type":"Polygon","arcs":[[0,-2],[{hole}]],"properties":{{"code":"a"}}}},
                {{"type":null,"properties":{{"code":"b"}}}}
            ]}}}}}}"#
        )
    }

    fn close(a: Point, lon: f64, lat: f64) -> bool {
        (a.lon - lon).abs() < 1e-12 && (a.lat - lat).abs() < 1e-12
    }

    #[test]
    fn square_with_a_hole() {
        let features = decode(square_with_hole(2).as_bytes()).unwrap();
        assert_eq!(features.len(), 2);
        assert_eq!(features[0].object, "squares");
        assert_eq!(features[0].properties["code"], "a");
        let geometry = features[0].geometry.as_ref().unwrap();
        assert_eq!(
            geometry.polygons[0][0],
            [
                [10.0, 40.0],
                [11.0, 40.0],
                [11.0, 41.0],
                [10.0, 41.0],
                [10.0, 40.0]
            ]
        );
        assert_eq!(geometry.polygons[0][1][2], [10.75, 40.75]);
        // (1 · 0.5 − 0.0625 · 0.625) / (1 − 0.0625) = 0.491666… from the corner, on both axes.
        let expected = (0.5 - 0.0625 * 0.625) / 0.9375;
        let centroid = geometry.centroid().unwrap();
        assert!(
            close(centroid, 10.0 + expected, 40.0 + expected),
            "{centroid:?}"
        );
        // A hole subtracts whichever way it is wound.
        let reversed = decode(square_with_hole(-3).as_bytes()).unwrap();
        let centroid = reversed[0].geometry.as_ref().unwrap().centroid().unwrap();
        assert!(
            close(centroid, 10.0 + expected, 40.0 + expected),
            "{centroid:?}"
        );
        // A null geometry is kept, without geometry.
        assert_eq!(features[1].properties["code"], "b");
        assert_eq!(features[1].geometry, None);
    }

    #[test]
    fn multipolygon_weighs_parts_by_area() {
        // Not quantized: absolute coordinates, and a third (z) coordinate to ignore. A 2×2
        // square at the origin and a 1×1 square at x 10..11: centroid x = (4·1 + 1·10.5) / 5.
        let topology = r#"{"type":"Topology","arcs":[
            [[0,0,7],[2,0,7],[2,2,7],[0,2,7],[0,0,7]],
            [[10,0],[10,1],[11,1],[11,0],[10,0]]
        ],"objects":{"m":{"type":"MultiPolygon","arcs":[[[0]],[[1]]]}}}"#;
        let features = decode(topology.as_bytes()).unwrap();
        let centroid = features[0].geometry.as_ref().unwrap().centroid().unwrap();
        assert!(close(centroid, 2.9, 0.9), "{centroid:?}");
    }

    #[test]
    fn bad_topologies_are_errors() {
        let wrong_type = decode(br#"{"type":"FeatureCollection","features":[]}"#);
        assert_eq!(
            wrong_type.unwrap_err().to_string(),
            "expected a \"Topology\", found type \"FeatureCollection\""
        );
        let missing_arc = r#"{"type":"Topology","arcs":[[[0,0],[1,0],[0,1],[0,0]]],
            "objects":{"o":{"type":"GeometryCollection","geometries":[
                {"type":"Polygon","arcs":[[0]]},{"type":"Polygon","arcs":[[-3]]}]}}}"#;
        assert_eq!(
            decode(missing_arc.as_bytes()).unwrap_err().to_string(),
            "object \"o\", geometry 1: arc -3 does not exist (1 arcs)"
        );
        assert!(decode(b"{").is_err());
    }

    #[test]
    fn degenerate_shapes_have_no_centroid() {
        let flat = Geometry {
            polygons: vec![vec![vec![[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]]],
        };
        assert_eq!(flat.centroid(), None);
        assert_eq!(Geometry { polygons: vec![] }.centroid(), None);
    }
}
