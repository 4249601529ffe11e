//! The map layers, projected once per process from the boundaries embedded in the binary:
//! regions, provinces (keyed by their current ISTAT code) and the comuni of each region.

use std::sync::OnceLock;

use crocevia_core::territory::embedded_sources;
use crocevia_core::territory::map::{MapLayer, MapOptions, project};

use crate::territories;

/// The 20 regions, keyed by their 2-digit code.
pub fn regions() -> &'static MapLayer {
    static LAYER: OnceLock<MapLayer> = OnceLock::new();
    LAYER.get_or_init(|| {
        project(
            embedded_sources().region_boundaries,
            "reg_istat_code",
            "reg_name",
            MapOptions::default(),
        )
        .expect("the embedded region boundaries decode")
    })
}

/// The 107 provinces, keyed by their current code (`201` Torino), although the boundary file
/// keys them by the historical one (`001`).
pub fn provinces() -> &'static MapLayer {
    static LAYER: OnceLock<MapLayer> = OnceLock::new();
    LAYER.get_or_init(|| {
        let mut layer = project(
            embedded_sources().province_boundaries,
            "prov_istat_code",
            "prov_name",
            MapOptions::default(),
        )
        .expect("the embedded province boundaries decode");
        let t = territories();
        for area in &mut layer.areas {
            if let Some(p) = t.provinces.iter().find(|p| p.historical_code == area.code) {
                area.code = p.code.clone();
                area.name = p.name.clone();
            }
        }
        layer.areas.sort_by(|a, b| a.code.cmp(&b.code));
        layer
    })
}

/// The comuni of region `code` (`"13"`), keyed by their 6-digit code; `None` for an unknown
/// region.
pub fn comuni(region: &str) -> Option<&'static MapLayer> {
    static LAYERS: [OnceLock<MapLayer>; 20] = [const { OnceLock::new() }; 20];
    let index = region
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=20).contains(n))?
        - 1;
    if region.len() != 2 {
        return None;
    }
    Some(LAYERS[index].get_or_init(|| {
        project(
            embedded_sources().comune_boundaries[index],
            "com_istat_code",
            "name",
            MapOptions::default(),
        )
        .expect("the embedded comune boundaries decode")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_are_keyed_by_the_codes_the_statistics_use() {
        assert_eq!(regions().areas.len(), 20);
        assert_eq!(regions().area("13").unwrap().name, "Abruzzo");
        let provinces = provinces();
        assert_eq!(provinces.areas.len(), 107);
        // Current codes, not the boundary file's historical ones.
        assert_eq!(provinces.area("201").unwrap().name, "Torino");
        assert!(provinces.area("001").is_none());
        assert_eq!(provinces.area("066").unwrap().name, "L'Aquila");
        assert!(provinces.area("108").is_some(), "Monza e della Brianza");
        let abruzzo = comuni("13").unwrap();
        assert_eq!(abruzzo.areas.len(), 305);
        assert!(
            std::ptr::eq(abruzzo, comuni("13").unwrap()),
            "projected once"
        );
        assert!(comuni("21").is_none() && comuni("1").is_none() && comuni("x").is_none());
    }
}
