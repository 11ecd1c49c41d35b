//! The real data of the learned optimizer's task family: the bundled sets loaded through the
//! facade, standardized and pooled for `downhill-l2o`, and which of them weights were trained on.

use std::collections::BTreeMap;
use std::path::Path;

use downhill::{Error, Result};
use downhill_l2o::{
    DataPool, LearnedNet, MetaTrainConfig, RealData, TaskGroup, held_out_groups_with,
};

use super::l2o_err;

/// The bundled data sets of the family's real-data tasks, in the order of their held-out
/// groups (digits stays outside the family).
pub(crate) const FAMILY_REAL_DATA: [&str; 3] = ["iris", "wine", "breast-cancer"];

/// The bundled sets `names` as a [`DataPool`], each loaded through the facade and its features
/// z-scored per column over all its rows ([`RealData::standardized`]), as a user would before
/// training; the pool then splits the rows (see `downhill_l2o::DataPool`).
pub(crate) fn real_data_pool(names: &[String]) -> Result<DataPool> {
    let sets = names
        .iter()
        .map(|name| {
            if !FAMILY_REAL_DATA.contains(&name.as_str()) {
                return Err(Error::config(
                    "real-data",
                    format!(
                        "{name:?} is not a family data set; expected some of {}",
                        FAMILY_REAL_DATA.join(", ")
                    ),
                ));
            }
            let ds = downhill::data::load_bundled::<f64>(name)?;
            let set = RealData::new(
                name.clone(),
                ds.features().clone(),
                ds.labels().to_vec(),
                ds.num_classes(),
            )
            .map_err(l2o_err)?;
            Ok(set.standardized())
        })
        .collect::<Result<Vec<_>>>()?;
    DataPool::new(sets).map_err(l2o_err)
}

/// The held-out groups of draw `seed`: the synthetic ones and, unless `no_real`, one per
/// family real data set. A real-data group counts as in the family only if the weights were
/// meta-trained on its data set (`trained_on`, see [`trained_real_data`]); for weights trained
/// without it, it is outside their family and is reported so.
pub(crate) fn family_groups(
    seed: u64,
    seeds: usize,
    no_real: bool,
    trained_on: &[String],
) -> Result<Vec<TaskGroup>> {
    let names: Vec<String> = if no_real {
        Vec::new()
    } else {
        FAMILY_REAL_DATA.iter().map(|s| s.to_string()).collect()
    };
    let mut groups =
        held_out_groups_with(seed, seeds, &real_data_pool(&names)?).map_err(l2o_err)?;
    for g in groups.iter_mut() {
        if let Some(set) = g
            .name
            .strip_prefix("mlp-")
            .filter(|s| names.iter().any(|n| n == s))
        {
            g.in_family = trained_on.iter().any(|t| t == set);
        }
    }
    Ok(groups)
}

/// The real data sets weights were meta-trained on, from their `meta_train_config` metadata
/// (none for weights trained before real data existed, or without it).
pub(crate) fn trained_real_data(metadata: &BTreeMap<String, String>) -> Vec<String> {
    metadata
        .get("meta_train_config")
        .and_then(|c| serde_json::from_str::<MetaTrainConfig>(c).ok())
        .map(|c| c.real_data)
        .unwrap_or_default()
}

/// The weights at `path`, or the shipped ones, with their metadata.
pub(crate) fn load_weights(path: Option<&Path>) -> Result<(LearnedNet, BTreeMap<String, String>)> {
    match path {
        Some(p) => LearnedNet::load(p).map_err(l2o_err),
        None => LearnedNet::from_safetensors(downhill_l2o::SHIPPED_WEIGHTS).map_err(l2o_err),
    }
}

/// What `train.json` and the weights' metadata record of the real data: the sets (rows,
/// split, checksum of the standardized features), the split seed and the preprocessing.
pub(crate) fn real_data_record(pool: &DataPool) -> serde_json::Value {
    serde_json::json!({
        "sets": pool.summary(),
        "split_seed": downhill_l2o::REAL_SPLIT_SEED,
        "held_out": "the first floor(n/3) rows of a Fisher-Yates shuffle seeded split_seed",
        "task_rows": downhill_l2o::REAL_TASK_ROWS,
        "preprocessing": "bundled data set, features z-scored per column over all rows (population std)",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use downhill_l2o::FIRST_UNTOUCHED_DRAW;

    #[test]
    fn the_family_real_data_loads_standardized_and_split() {
        let names: Vec<String> = FAMILY_REAL_DATA.iter().map(|s| s.to_string()).collect();
        let pool = real_data_pool(&names).unwrap();
        assert_eq!(pool.names(), names);
        let rows: Vec<(usize, usize, usize)> = pool
            .summary()
            .iter()
            .map(|s| (s.rows, s.held_out_rows, s.features))
            .collect();
        assert_eq!(rows, [(150, 50, 4), (178, 59, 13), (569, 189, 30)]);
        let groups = family_groups(FIRST_UNTOUCHED_DRAW, 2, false, &names[..1]).unwrap();
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names[4..], ["mlp-iris", "mlp-wine", "mlp-breast-cancer"]);
        let in_family: Vec<bool> = groups.iter().map(|g| g.in_family).collect();
        assert_eq!(in_family, [true, true, true, true, true, false, false]);
        assert_eq!(
            family_groups(FIRST_UNTOUCHED_DRAW, 2, true, &[])
                .unwrap()
                .len(),
            4
        );
    }

    #[test]
    fn the_shipped_weights_say_which_real_data_they_saw() {
        let (_, metadata) = load_weights(None).unwrap();
        let recorded: serde_json::Value =
            serde_json::from_str(&metadata["meta_train_config"]).unwrap();
        let want: Vec<String> = recorded
            .get("real_data")
            .map(|v| serde_json::from_value(v.clone()).unwrap())
            .unwrap_or_default();
        assert_eq!(trained_real_data(&metadata), want);
        let cfg = MetaTrainConfig {
            real_data: vec!["wine".into()],
            ..MetaTrainConfig::default()
        };
        let mut with = BTreeMap::new();
        with.insert(
            "meta_train_config".into(),
            serde_json::to_string(&cfg).unwrap(),
        );
        assert_eq!(trained_real_data(&with), ["wine"]);
    }

    #[test]
    fn unknown_or_out_of_family_real_data_is_an_error() {
        for bad in ["digits", "mnist"] {
            let err = real_data_pool(&[bad.to_string()]).unwrap_err().to_string();
            assert!(err.contains("not a family data set"), "{err}");
        }
        let twice = real_data_pool(&["iris".into(), "iris".into()]).unwrap_err();
        assert!(twice.to_string().contains("given twice"), "{twice}");
    }
}
