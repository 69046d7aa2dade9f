import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from segtarget.errors import SegtargetError
from segtarget.segments import clustering as C


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(3)
    centers = np.array([[0, 0], [6, 0], [0, 6], [6, 6]], dtype=float)
    return np.vstack([c + rng.normal(0, 0.5, size=(40, 2)) for c in centers])


def test_scan_matches_sklearn(blobs):
    scan = C.scan_kmeans(blobs, range(2, 6), seed=0, n_init=4, n_jobs=1).set_index("k")
    km = KMeans(3, n_init=4, random_state=0).fit(blobs)
    assert scan.loc[3, "silhouette"] == pytest.approx(silhouette_score(blobs, km.labels_))
    assert scan.loc[3, "calinski_harabasz"] == pytest.approx(calinski_harabasz_score(blobs, km.labels_))
    assert scan.loc[3, "davies_bouldin"] == pytest.approx(davies_bouldin_score(blobs, km.labels_))
    assert scan.loc[3, "inertia"] == pytest.approx(km.inertia_)


def test_prediction_strength_finds_true_k(blobs):
    assert C.prediction_strength(blobs, 4, seed=0, n_init=4) == pytest.approx(1.0)
    assert C.prediction_strength(blobs, 5, seed=0, n_init=4) < 0.8


def test_worst_cluster_strength_by_hand():
    test = np.array([0, 0, 0, 1, 1])
    pred = np.array([0, 0, 1, 1, 1])
    # cluster 0: pairs (0,1) together, (0,2),(1,2) split -> 1/3; cluster 1: 1/1
    assert C._worst_cluster_strength(test, pred) == pytest.approx(1 / 3)


def test_all_rules_pick_four_on_clear_blobs(blobs):
    scan = C.scan_kmeans(blobs, range(2, 7), seed=0, n_init=4, n_jobs=1)
    for rule in C.RULES:
        assert C.choose_kmeans_k(scan, rule)[0] == 4, rule


def test_consensus_ties_go_to_smaller_k():
    scan = pd.DataFrame({"k": [2, 3], "silhouette": [0.5, 0.4], "calinski_harabasz": [10.0, 20.0],
                         "davies_bouldin": [1.0, 1.0], "prediction_strength": [0.9, 0.9]})
    assert C.choose_kmeans_k(scan, "consensus")[0] == 2
    assert C.choose_kmeans_k(scan, "dbi", fixed=7)[0] == 7
    with pytest.raises(SegtargetError, match="kmeans_rule"):
        C.choose_kmeans_k(scan, "best")


def test_scan_rejects_bad_range(blobs):
    with pytest.raises(SegtargetError, match="kmeans_k_min"):
        C.scan_kmeans(blobs, range(1, 3), seed=0)


def test_gmm_comparison_rows(blobs):
    labels = KMeans(4, n_init=4, random_state=0).fit(blobs).labels_
    table = C.gmm_comparison(blobs, 4, labels, seed=0)
    assert list(table["method"]) == ["K-Means", "GMM (full covariance)"]
    assert table["ari_vs_kmeans"].iloc[1] > 0.9
