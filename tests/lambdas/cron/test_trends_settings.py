"""Trends settings across the boundary: stage config -> Lambda environment -> worker settings."""

from __future__ import annotations

import dataclasses
import json

import pytest

from common.errors import ConfigurationError
from cron.settings import TrendsSettings
from cron.sources import Source
from cron.trend_addresses import allowed_networks
from stacks.config import CronConfig, TrendSourceConfig, load_stage_config
from tests.infra.conftest import CDK_CONTEXT
from tools import function_env

CREATIVE_CENTER = {
    "name": "tiktok-cc",
    "url": "https://ads.tiktok.com/creative_radar_api/v1/popular_trend/hashtag/list",
    "kind": "json",
    "items_path": "data.list",
    "name_field": "hashtag_name",
    "count_field": "video_views",
    "default_type": "hashtag",
    "count_scale": "views",
}


def test_the_config_model_and_the_worker_know_the_same_source_fields_and_only_the_config_has_defaults():
    worker = {f.name: f.default for f in dataclasses.fields(Source)}
    assert worker.keys() == TrendSourceConfig.model_fields.keys()
    assert all(default is dataclasses.MISSING for default in worker.values())


def test_a_source_missing_a_field_is_refused_naming_it():
    raw = TrendSourceConfig(**CREATIVE_CENTER).model_dump()
    del raw["max_bytes"]
    env = {**function_env.trends(), "TREND_SOURCES": json.dumps([raw])}
    with pytest.raises(ConfigurationError, match="TREND_SOURCES: trend source 'tiktok-cc' lacks max_bytes"):
        TrendsSettings.from_env(env).trend_sources()


def test_a_configured_source_reaches_the_worker_as_the_stack_passes_it():
    # The Cron stack writes json.dumps([s.model_dump()]) into TREND_SOURCES
    env = {**function_env.trends(), "TREND_SOURCES": json.dumps([TrendSourceConfig(**CREATIVE_CENTER).model_dump()])}
    (source,) = TrendsSettings.from_env(env).trend_sources()
    assert (source.items_path, source.default_type, source.count_scale) == ("data.list", "hashtag", "views")


def test_a_json_source_without_a_scale_stops_synth():
    with pytest.raises(ValueError, match="count_scale"):
        TrendSourceConfig(**{**CREATIVE_CENTER, "count_scale": None})


def test_allowed_networks_default_to_none_and_are_read_from_the_environment():
    assert TrendsSettings.from_env(function_env.trends()).trends_allowed_networks == ()
    env = {**function_env.trends(), "TRENDS_ALLOWED_NETWORKS": '["127.0.0.1/32", "::1/128"]'}
    assert TrendsSettings.from_env(env).trends_allowed_networks == ("127.0.0.1/32", "::1/128")


@pytest.mark.parametrize("value", ['["169.254.169.254/32"]', '["not-a-network"]', '"127.0.0.1/32"'])
def test_a_bad_allow_list_is_refused_naming_the_variable(value):
    with pytest.raises(ConfigurationError, match="TRENDS_ALLOWED_NETWORKS"):
        TrendsSettings.from_env({**function_env.trends(), "TRENDS_ALLOWED_NETWORKS": value})


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_shipped_stages_allow_no_extra_networks_and_would_pass_the_worker(stage):
    cfg = load_stage_config(CDK_CONTEXT["config"], stage, environ={})
    networks = [str(n) for n in cfg.cron.trends_allowed_networks]
    assert networks == [] and allowed_networks(networks) == ()


def test_the_config_allow_list_is_rendered_as_the_worker_reads_it():
    cfg = CronConfig(trends_allowed_networks=["127.0.0.1/32"])
    rendered = json.dumps([str(n) for n in cfg.trends_allowed_networks])  # as stacks/cron.py renders it
    env = {**function_env.trends(), "TRENDS_ALLOWED_NETWORKS": rendered}
    assert TrendsSettings.from_env(env).trends_allowed_networks == ("127.0.0.1/32",)
