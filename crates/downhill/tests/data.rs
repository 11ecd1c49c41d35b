//! Data sets: bundled sets, splits and batches, the CSV and IDX loaders, synthetic generators.

use std::collections::BTreeSet;
use std::io::Write;

use downhill::data::{
    self, CsvOptions, Dataset, LabelColumn, blobs, load_bundled, load_csv, load_idx, moons,
    two_spirals, xor,
};
use downhill::{DefaultRng, Error, Tensor};
use rand::SeedableRng;

fn rng(seed: u64) -> DefaultRng {
    DefaultRng::seed_from_u64(seed)
}

/// A data set whose single feature is the row index, so rows can be traced through splits.
fn indexed(labels: Vec<usize>, classes: usize) -> Dataset<f64> {
    let n = labels.len();
    let x = Tensor::from_vec(&[n, 1], (0..n).map(|i| i as f64).collect()).unwrap();
    Dataset::new(x, labels, classes).unwrap()
}

fn ids(ds: &Dataset<f64>) -> Vec<usize> {
    ds.features()
        .as_slice()
        .iter()
        .map(|&v| v as usize)
        .collect()
}

#[test]
fn bundled_sets_have_their_documented_shapes() {
    let cases = [
        ("digits", 1797, 64, 10),
        ("breast-cancer", 569, 30, 2),
        ("wine", 178, 13, 3),
        ("iris", 150, 4, 3),
    ];
    for (name, rows, feats, classes) in cases {
        let ds = load_bundled::<f32>(name).unwrap();
        assert_eq!(
            (ds.len(), ds.num_features(), ds.num_classes()),
            (rows, feats, classes),
            "{name}"
        );
        assert_eq!(ds.class_counts().iter().sum::<usize>(), rows);
        assert!(ds.features().all_finite());
    }
    let iris = load_bundled::<f64>("iris").unwrap();
    assert_eq!(iris.class_counts(), [50, 50, 50]);
    assert_eq!(iris.class_names, ["setosa", "versicolor", "virginica"]);
    let digits = load_bundled::<f32>("digits").unwrap();
    assert_eq!(digits.image_shape, Some([1, 8, 8]));
    let max = digits
        .features()
        .as_slice()
        .iter()
        .fold(0f32, |m, &v| m.max(v));
    assert_eq!(max, 16.0, "raw pixels 0..16");
    let e = load_bundled::<f32>("mnist").unwrap_err().to_string();
    assert!(e.contains("mnist") && e.contains("digits"), "{e}");
    assert_eq!(data::BUNDLED_NAMES.len(), 4);
}

#[test]
fn dataset_new_validates() {
    let x = Tensor::<f32>::zeros(&[3, 2]);
    assert!(Dataset::new(x.clone(), vec![0, 1], 2).is_err());
    let e = Dataset::new(x.clone(), vec![0, 1, 2], 2)
        .unwrap_err()
        .to_string();
    assert!(e.contains("label 2") && e.contains("row 2"), "{e}");
    assert!(Dataset::new(Tensor::<f32>::zeros(&[3]), vec![0, 1, 0], 2).is_err());
}

#[test]
fn split_partitions_rows_reproducibly() {
    let ds = indexed((0..100).map(|i| i % 4).collect(), 4);
    let (a, b) = ds.split(0.25, false, &mut rng(7)).unwrap();
    assert_eq!((a.len(), b.len()), (75, 25));
    let all: BTreeSet<usize> = ids(&a).into_iter().chain(ids(&b)).collect();
    assert_eq!(all.len(), 100, "disjoint and complete");
    // Labels travel with their rows.
    for part in [&a, &b] {
        for (id, &y) in ids(part).iter().zip(part.labels()) {
            assert_eq!(id % 4, y);
        }
    }
    let (a2, b2) = ds.split(0.25, false, &mut rng(7)).unwrap();
    assert_eq!(
        (ids(&a), ids(&b)),
        (ids(&a2), ids(&b2)),
        "same seed, same split"
    );
    let (a3, _) = ds.split(0.25, false, &mut rng(8)).unwrap();
    assert_ne!(ids(&a), ids(&a3), "another seed, another split");
    for bad in [0.0, 1.0, -0.1, f64::NAN] {
        let e = ds.split(bad, false, &mut rng(0)).unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{e}");
    }
}

#[test]
fn stratified_split_keeps_class_proportions() {
    // Imbalanced: 80 of class 0, 20 of class 1.
    let ds = indexed((0..100).map(|i| usize::from(i >= 80)).collect(), 2);
    let (train, val) = ds.split(0.2, true, &mut rng(3)).unwrap();
    assert_eq!(val.class_counts(), [16, 4]);
    assert_eq!(train.class_counts(), [64, 16]);
    let (tr, va, te) = ds.split3(0.2, 0.1, true, &mut rng(3)).unwrap();
    assert_eq!(te.class_counts(), [8, 2]);
    assert_eq!(va.class_counts(), [16, 4]);
    assert_eq!(tr.len() + va.len() + te.len(), 100);
    let all: BTreeSet<usize> = [ids(&tr), ids(&va), ids(&te)]
        .concat()
        .into_iter()
        .collect();
    assert_eq!(all.len(), 100);
    assert!(ds.split3(0.5, 0.5, true, &mut rng(0)).is_err());
}

#[test]
fn batches_cover_every_row_once_and_shuffle_by_seed() {
    let ds = indexed(vec![0; 10], 1);
    let plain = ds.batch_indices(4, None).unwrap();
    assert_eq!(plain, vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
    let mut r = rng(1);
    let shuffled = ds.batch_indices(4, Some(&mut r)).unwrap();
    assert_eq!(shuffled.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 2]);
    let mut flat: Vec<usize> = shuffled.concat();
    assert_ne!(flat, (0..10).collect::<Vec<_>>());
    flat.sort_unstable();
    assert_eq!(flat, (0..10).collect::<Vec<_>>());
    let mut r = rng(1);
    assert_eq!(ds.batch_indices(4, Some(&mut r)).unwrap(), shuffled);
    assert!(ds.batch_indices(0, None).is_err());
    let b = ds.batch(&[9, 2]).unwrap();
    assert_eq!(b.x.as_slice(), &[9.0, 2.0]);
    assert!(ds.batch(&[10]).is_err());
}

fn write_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn csv_with_header_and_string_labels() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(
        &dir,
        "flowers.csv",
        b"length,width,species\n1.0,2.5,b\n3.0,4.0,a\n\n-1e-3,7,b\n",
    );
    let ds = load_csv::<f64>(&p, &CsvOptions::default()).unwrap();
    assert_eq!((ds.len(), ds.num_features(), ds.num_classes()), (3, 2, 2));
    assert_eq!(ds.class_names, ["a", "b"]);
    assert_eq!(ds.labels(), [1, 0, 1]);
    assert_eq!(ds.features().as_slice(), &[1.0, 2.5, 3.0, 4.0, -1e-3, 7.0]);
    let by_name = CsvOptions {
        label: LabelColumn::Name("length".into()),
        ..CsvOptions::default()
    };
    // A numeric label column that is not 0..K keeps its integer classes only if they are integers.
    let e = load_csv::<f64>(&p, &by_name).unwrap_err().to_string();
    assert!(e.contains("\"b\"") && e.contains("line 2"), "{e}");
}

#[test]
fn csv_without_header_label_first_or_by_index() {
    let dir = tempfile::tempdir().unwrap();
    let p = write_file(&dir, "d.csv", b"2,0.5,1.5\n0,1.0,2.0\n1,3.0,4.0\n");
    let first = CsvOptions {
        label: LabelColumn::First,
        ..CsvOptions::default()
    };
    let ds = load_csv::<f32>(&p, &first).unwrap();
    assert_eq!(ds.labels(), [2, 0, 1]);
    assert_eq!(ds.features().as_slice(), &[0.5, 1.5, 1.0, 2.0, 3.0, 4.0]);
    let idx = CsvOptions {
        label: LabelColumn::Index(0),
        ..CsvOptions::default()
    };
    assert_eq!(load_csv::<f32>(&p, &idx).unwrap(), ds);
    let out = CsvOptions {
        label: LabelColumn::Index(3),
        ..CsvOptions::default()
    };
    assert!(
        load_csv::<f32>(&p, &out)
            .unwrap_err()
            .to_string()
            .contains("index 3")
    );
    let semi = write_file(&dir, "s.csv", b"1;2;0\n3;4;1\n");
    let opts = CsvOptions {
        delimiter: Some(b';'),
        ..CsvOptions::default()
    };
    assert_eq!(load_csv::<f32>(&semi, &opts).unwrap().len(), 2);
}

#[test]
fn csv_errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &[&str]); 5] = [
        (
            "bad.csv",
            b"1,2,0\n3,x,1\n",
            &["bad.csv", "line 2", "column 2", "\"x\""],
        ),
        (
            "nan.csv",
            b"1,2,0\n3,NaN,1\n",
            &["nan.csv", "line 2", "not finite"],
        ),
        (
            "ragged.csv",
            b"1,2,0\n3,1\n",
            &["ragged.csv", "line 2", "2 fields"],
        ),
        ("empty.csv", b"\n\n", &["empty.csv", "no rows"]),
        ("one.csv", b"1\n2\n", &["one.csv", "2 columns"]),
    ];
    for (name, bytes, needles) in cases {
        let p = write_file(&dir, name, bytes);
        let e = load_csv::<f32>(&p, &CsvOptions::default()).unwrap_err();
        let msg = e.to_string();
        for n in needles {
            assert!(msg.contains(n), "{name}: {msg:?} lacks {n:?}");
        }
    }
    let e = load_csv::<f32>(dir.path().join("missing.csv"), &CsvOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }) && e.to_string().contains("missing.csv"));
}

fn idx_bytes(magic_dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, magic_dims.len() as u8];
    for d in magic_dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn idx_raw_and_gzip_load_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let pixels: Vec<u8> = (0..3 * 2 * 2).map(|i| (i * 20) as u8).collect();
    let images = idx_bytes(&[3, 2, 2], &pixels);
    let labels = idx_bytes(&[3], &[4, 0, 9]);
    let ip = write_file(&dir, "img.idx", &images);
    let lp = write_file(&dir, "lab.idx", &labels);
    let raw = load_idx::<f32>(&ip, &lp).unwrap();
    assert_eq!(
        (raw.len(), raw.num_features(), raw.num_classes()),
        (3, 4, 10)
    );
    assert_eq!(raw.image_shape, Some([1, 2, 2]));
    assert_eq!(raw.labels(), [4, 0, 9]);
    assert_eq!(raw.features().as_slice()[1], 20.0 / 255.0);
    let ipg = write_file(&dir, "img.idx.gz", &gzip(&images));
    let lpg = write_file(&dir, "lab.idx.gz", &gzip(&labels));
    assert_eq!(load_idx::<f32>(&ipg, &lpg).unwrap(), raw);
}

#[test]
fn idx_errors_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let good_labels = write_file(&dir, "l.idx", &idx_bytes(&[2], &[0, 1]));
    let cases: [(&str, Vec<u8>, &str); 5] = [
        ("magic.idx", vec![1, 2, 3, 4, 5, 6, 7, 8], "magic"),
        ("type.idx", vec![0, 0, 0x0d, 3], "element type"),
        ("dims.idx", idx_bytes(&[2, 2], &[0; 4]), "dimensions"),
        ("short.idx", idx_bytes(&[2, 2, 2], &[0; 5]), "holds 5"),
        ("long.idx", idx_bytes(&[2, 2, 2], &[0; 9]), "holds 9"),
    ];
    for (name, bytes, needle) in cases {
        let p = write_file(&dir, name, &bytes);
        let msg = load_idx::<f32>(&p, &good_labels).unwrap_err().to_string();
        assert!(msg.contains(name) && msg.contains(needle), "{msg}");
    }
    let img = write_file(&dir, "i.idx", &idx_bytes(&[3, 1, 1], &[1, 2, 3]));
    let msg = load_idx::<f32>(&img, &good_labels).unwrap_err().to_string();
    assert!(
        msg.contains("3 images") && msg.contains("2 labels"),
        "{msg}"
    );
    let gz = write_file(&dir, "broken.gz", &gzip(&[0; 100])[..12]);
    let msg = load_idx::<f32>(&gz, &good_labels).unwrap_err().to_string();
    assert!(msg.contains("broken.gz"), "{msg}");
}

#[test]
fn synthetic_generators_are_seeded_and_labelled() {
    let s: Dataset<f64> = two_spirals(50, 0.0, &mut rng(0)).unwrap();
    assert_eq!(
        (s.len(), s.num_features(), s.class_counts()),
        (100, 2, vec![50, 50])
    );
    // Class 1 is class 0 rotated by π: without noise, point i of class 1 is −(point i of class 0).
    let f = s.features().as_slice();
    for i in 0..50 {
        assert!((f[2 * i] + f[2 * (50 + i)]).abs() < 1e-12);
    }
    let m: Dataset<f64> = moons(30, 0.0, &mut rng(0)).unwrap();
    assert_eq!(m.class_counts(), [30, 30]);
    for (p, &y) in m.features().as_slice().chunks(2).zip(m.labels()) {
        let (cx, cy) = if y == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
        assert!(((p[0] - cx).hypot(p[1] - cy) - 1.0).abs() < 1e-12);
    }
    let centers = [[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]];
    let b: Dataset<f64> = blobs(400, &centers, 0.5, &mut rng(0)).unwrap();
    assert_eq!(b.class_counts(), [400, 400, 400]);
    for (c, ctr) in centers.iter().enumerate() {
        let rows: Vec<&[f64]> = b
            .features()
            .as_slice()
            .chunks(2)
            .zip(b.labels())
            .filter(|&(_, &y)| y == c)
            .map(|(p, _)| p)
            .collect();
        let mx = rows.iter().map(|p| p[0]).sum::<f64>() / 400.0;
        // SE of the mean = 0.5/√400 = 0.025.
        assert!((mx - ctr[0]).abs() < 5.0 * 0.025, "center {c}: {mx}");
    }
    let x: Dataset<f64> = xor(200, 0.0, &mut rng(0)).unwrap();
    for (p, &y) in x.features().as_slice().chunks(2).zip(x.labels()) {
        assert_eq!(y, usize::from((p[0] > 0.0) != (p[1] > 0.0)));
        assert!(p[0].abs() <= 1.0 && p[1].abs() <= 1.0);
    }
    assert_eq!(
        xor::<f64>(20, 0.1, &mut rng(5)).unwrap(),
        xor::<f64>(20, 0.1, &mut rng(5)).unwrap()
    );
    assert_ne!(
        moons::<f64>(20, 0.1, &mut rng(5)).unwrap(),
        moons::<f64>(20, 0.1, &mut rng(6)).unwrap()
    );
    assert!(two_spirals::<f64>(0, 0.1, &mut rng(0)).is_err());
    assert!(moons::<f64>(10, -1.0, &mut rng(0)).is_err());
    assert!(blobs::<f64>(10, &[], 1.0, &mut rng(0)).is_err());
    assert!(xor::<f64>(10, f64::NAN, &mut rng(0)).is_err());
}
