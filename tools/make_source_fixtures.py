#!/usr/bin/env python3
"""Writes the byte-exact fixtures of every legacy kind besides raw_metrics (issue 3).

All text is synthetic (pump, valve and chiller maintenance notes), never legacy content. Run from the
repository root: python3 tools/make_source_fixtures.py. Files are written with open(..., 'wb') so line
endings (LF, CRLF, CRLF inside quoted fields) are exactly as the legacy writers produced them;
.gitattributes pins fixtures/** -text so git never converts them.
"""
import json
import os

ROOT = "fixtures"

P1 = "Summarise the maintenance log for pump P-7 as JSON.\nInclude the date, the fault and the action taken."
P1_CRLF = P1.replace("\n", "\r\n")
P2 = "List the valves inspected on line 3 and their pressure readings."
P3 = "Describe the bearing noise reported on compressor C-2."
P4 = "Check the coolant level of chiller H-4."
HASH_ANN = "$2b$12$" + "abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
HASH_BOB = "$2b$12$" + "zyxwvutsrqponmlkjihgfeeZYXWVUTSRQPONMLKJIHGFEDCBA./98"
CLAUDE37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
MAVERICK = "us.meta.llama4-maverick-17b-instruct-v1:0"


def write(path, data):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def q(s):
    """A CSV field quoted the way Python's csv module and pandas quote (doubled quotes)."""
    return '"' + s.replace('"', '""') + '"'


def converse(ts, request_id, model, prompt, tokens_in, tokens_out, latency, answer):
    return {
        "timestamp": ts,
        "accountId": "000000000000",
        "identity": {"arn": "arn:aws:iam::000000000000:user/maintenance-bot"},
        "region": "us-east-2",
        "requestId": request_id,
        "operation": "Converse",
        "modelId": model,
        "input": {
            "inputContentType": "application/json",
            "inputBodyJson": {
                "messages": [{"role": "user", "content": [{"cachePoint": {"type": "default"}}, {"text": prompt}]}],
                "system": [{"text": "You are a plant maintenance assistant."}],
                "inferenceConfig": {"maxTokens": 8192},
            },
            "inputTokenCount": tokens_in,
            "cacheReadInputTokenCount": 0,
            "cacheWriteInputTokenCount": 0,
        },
        "output": {
            "outputContentType": "application/json",
            "outputBodyJson": {
                "output": {"message": {"role": "assistant", "content": [{"text": answer}]}},
                "stopReason": "end_turn",
                "metrics": {"latencyMs": latency},
                "usage": {"inputTokens": tokens_in, "outputTokens": tokens_out, "totalTokens": tokens_in + tokens_out},
            },
            "outputTokenCount": tokens_out,
        },
        "inferenceRegion": "us-west-2",
        "schemaType": "ModelInvocationLog",
        "schemaVersion": "1.0",
    }


def compact(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- the complete legacy folder
APP = "legacy_app/"
R15R = "timestamp,run_id,model_name,model_id,prompt_id,input_tokens,output_tokens,latency_ms,json_valid,error,status,cost_usd_input,cost_usd_output,cost_usd_total,response\n"


def qa(fields):
    return ",".join(q(f) for f in fields) + "\n"


raw = R15R
raw += "2025-10-31T15:12:40.100200Z,run_20251031_204240,Llama 3 70B Instruct,meta.llama3-70b-instruct-v1:0,1,312,96,2871,True,,success,0.000624,0.00024,0.000864," + q('{"pump": "P-7", "fault": "seal"}') + "\n"
raw += "2025-10-31T15:12:43.900000Z,run_20251031_204240,Claude 3 Sonnet,anthropic.claude-3-sonnet-20240229-v1:0,2,40,0,0,False,An error occurred (AccessDeniedException) when calling the Converse operation,error,0.0,0.0,0.0,\n"
raw += qa(["2025-11-10T10:00:12.345678Z", "dashboard_20251110_153012", "Claude 3.7 Sonnet", CLAUDE37, "", "120", "40", "812", "True", "", "success", "0.00096", "0.00096", "0.00192", '{"pump": "P-7"}', P1])
raw += qa(["2025-11-14T09:00:00Z", "", "Master: gpt-4o", "gpt-4o", "", "120", "30", "900", "False", "", "success", "0.0", "0.0", "0.00105", '{"reference": true}', P1])
raw += qa(["2025-11-10T10:30:00Z", "cloudwatch_20251110_160000", "Llama 3.2 11B Instruct", MAVERICK, "", "25", "10", "0.0", "", "", "success", "0", "0", "0", "Bearing noise is within limits.", P3])
write(APP + "data/runs/raw_metrics.csv", raw)

COMPARISON = "model_name,count,success_count,error_count,avg_input_tokens,avg_output_tokens,p50_latency_ms,p95_latency_ms,p99_latency_ms,min_latency_ms,max_latency_ms,json_valid_pct,avg_cost_usd_per_request,total_cost_usd\r\n"
write(APP + "data/runs/model_comparison.csv", COMPARISON + "\"('Llama 3 70B Instruct',)\",1,1,0,312.0,96.0,2871.0,2871.0,2871.0,2871,2871,100.0,0.000864,0.000864\r\n")
# A stale dashboard download: it counted a success the imported rows do not have.
write(APP + "Downloads/aggregated_metrics_20251112_093000.csv", COMPARISON + "\"('Llama 3 70B Instruct',)\",2,2,0,312.0,96.0,2871.0,2871.0,2871.0,2871,2871,100.0,0.000432,0.000864\r\n")

prompts = "prompt_id,prompt,expected_json,category\n"
prompts += "1," + q(P1) + ",True,converse\n"
prompts += "2," + q(P2) + ",False,converse\n"
prompts += "3," + q(P1_CRLF) + ",True,converse\n"
write(APP + "data/test_prompts.csv", prompts)

log = compact(converse("2025-10-01T00:00:31Z", "r-0001", CLAUDE37, P1, 120, 40, 812, '{"pump": "P-7"}')) + "\n"
log += compact(converse("2025-10-01T00:00:40Z", "r-0002", MAVERICK, P3, 25, 10, 400, "Noise within limits.")) + "\n"
log += "\n"
log += '{"timestamp": "2025-10-01T00:01:00Z", "requestId": "r-trunc", "operation": "Conv\n'
log += compact(converse("2025-10-01T00:01:10Z", "r-0003", CLAUDE37, P1_CRLF, 121, 41, 900, '{"pump": "P-7"}')) + "\n"
write(APP + "data/20251001T000153731Z_e9c5e90710a8738a.json", log)

DETAILED = "prompt_index,model_key,model_name,input_tokens,output_tokens,latency_ms,cost_usd,valid_json,retries,json_was_cleaned,metadata,output,prompt_snippet,timestamp\r\n"
det = DETAILED
det += "0,nova-pro,Nova Pro,8,20,640.25,0.000136,True,0,False," + q(json.dumps({"requestId": "r-0002", "modelId": MAVERICK, "message_count": 1})) + "," + q('{"bearing": "noisy"}') + "," + P3 + ",2025-10-31T20:45:10.123456\r\n"
det += "0,claude-sonnet,Claude 3.7 Sonnet,8,0,,0.0,False,0,False,,[SKIPPED: Anthropic model access not enabled. Request access in the Bedrock console.],[SKIPPED - Anthropic access not enabled],2025-10-31T20:45:11\r\n"
write(APP + "results/detailed_results_20251031_204500.csv", det)
SUMMARY = "model_key,model_name,total_prompts,avg_latency_ms,p50_latency_ms,p95_latency_ms,min_latency_ms,max_latency_ms,total_cost_usd,avg_cost_usd,valid_json_rate,valid_json_count,total_input_tokens,total_output_tokens,avg_input_tokens,avg_output_tokens\r\n"
# The claude-sonnet row is all empty: the writer produced that for a model with no latencies.
write(APP + "results/summary_20251031_204500.csv", SUMMARY + "nova-pro,Nova Pro,1,640.25,640.25,640.25,640.25,640.25,0.000136,0.000136,1.0,1,8,20,8.0,20.0\r\n" + ",,,,,,,,,,,,,,,\r\n")
write(APP + "results/comparison_20251031_204500.csv", "prompt_index,prompt_snippet,claude-sonnet_latency_ms,claude-sonnet_cost_usd,claude-sonnet_valid_json,claude-sonnet_input_tokens,claude-sonnet_output_tokens,nova-pro_latency_ms,nova-pro_cost_usd,nova-pro_valid_json,nova-pro_input_tokens,nova-pro_output_tokens\r\n0," + P3 + ",,0.0,False,8,0,640.25,0.000136,True,8,20\r\n")

users = {
    "ann": {"email": "ann@example.test", "password_hash": HASH_ANN, "created_at": "2025-11-21T18:02:11.123456", "last_login": "2025-11-22T09:15:00.000001"},
    "bob": {"email": "bob@example.test", "password_hash": HASH_BOB, "created_at": "2025-11-21T19:30:00", "last_login": None},
}
write(APP + "data/users.json", json.dumps(users, indent=2))
write(APP + "Downloads/prompt_upload.json", json.dumps([P2, {"text": P4, "category": "ops", "owner": "night shift"}], indent=2) + "\n")


def model_yaml(region, models, comment=""):
    out = "region_name: " + region + "\n" + comment + "models:\n"
    for m in models:
        name, provider, mid, tok, pin, pout, mx, temp, top, uip = m
        out += "  - name: " + name + "\n"
        out += "    provider: " + provider + "\n"
        out += "    bedrock_model_id: " + mid + "\n"
        if uip:
            out += "    use_inference_profile: true\n"
        out += "    tokenizer: " + tok + "\n"
        out += "    pricing:\n      input_per_1k_tokens_usd: " + pin + "  # USD\n      output_per_1k_tokens_usd: " + pout + "\n"
        out += "    generation_params:\n      max_tokens: " + mx + "\n      temperature: " + temp + "\n      top_p: " + top + "\n"
    return out


V1 = [("Claude 3 Sonnet", "anthropic", "anthropic.claude-3-sonnet-20240229-v1:0", "anthropic", "0.003", "0.015", "512", "0.2", "0.95", False),
      ("Llama 3 70B Instruct", "meta", "meta.llama3-70b-instruct-v1:0", "llama", "0.002", "0.0025", "512", "0.2", "0.9", False),
      ("Titan Text Premier", "amazon", "amazon.titan-text-premier-v1", "heuristic", "0.0004", "0.0006", "512", "0.2", "0.9", False)]
V2 = [("Claude 3.5 Sonnet", "anthropic", "us.anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic", "0.003", "0.015", "512", "0.2", "0.95", True),
      ("Llama 3.1 70B Instruct", "meta", "us.meta.llama3-1-70b-instruct-v1:0", "llama", "0.002", "0.0025", "512", "0.2", "0.9", True)]
V3 = [("Claude 3.5 Sonnet", "anthropic", "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "anthropic", "0.003", "0.015", "1500", "0.7", "0.95", False),
      ("Llama 3.1 70B Instruct", "meta", "us.meta.llama3-1-70b-instruct-v1:0", "llama", "0.00065", "0.00085", "1500", "0.7", "0.95", False)]
V4 = [("Claude 3.7 Sonnet", "anthropic", CLAUDE37, "anthropic", "0.008", "0.024", "1500", "0.7", "0.95", False),
      ("Llama 3.2 11B Instruct", "meta", "us.meta.llama3-2-11b-instruct-v1:0", "llama", "0.0006", "0.0008", "1500", "0.7", "0.95", False)]
HEAD = [V4[0],
        ("Llama 3.3 70B Instruct", "meta", "us.meta.llama3-3-70b-instruct-v1:0", "llama", "0.00072", "0.00072", "1500", "0.7", "0.95", False),
        ("Nova Pro", "amazon", "us.amazon.nova-pro-v1:0", "amazon", "0.002", "0.006", "1500", "0.7", "0.95", False)]
HAIKU = "# - name: Claude 3.5 Haiku\n#   bedrock_model_id: us.anthropic.claude-3-5-haiku-20241022-v1:0\n"
write(APP + "configs/models.2025-10-31.yaml", model_yaml("us-east-1", V1))
write(APP + "configs/models.2025-11-03.yaml", model_yaml("us-east-2", V2))
write(APP + "configs/models.2025-11-05.yaml", model_yaml("us-east-2", V3, HAIKU))
write(APP + "configs/models.2025-11-06.yaml", model_yaml("us-east-2", V4))
write(APP + "configs/models.yaml", model_yaml("us-east-2", HEAD))
write(APP + "configs/settings.yaml", "region_name: us-east-1\noutput_dir: data/runs\nuse_sqlite: false\ncache_enabled: true\nconcurrency: 4\nlogging_level: INFO\n")
CONFIG_PY = '''"""Root-era configuration of the evaluation scripts."""
import os

AWS_REGION = os.getenv("AWS_REGION", "us-east-2")

MODELS = {
    "claude-sonnet": {
        "model_id": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "name": "Claude 3.7 Sonnet",
    },
    "llama-3-2-11b": {
        "model_id": "us.meta.llama3-2-11b-instruct-v1:0",
        "name": "Llama 3.2 11B Instruct",  # vision-capable
    },
}

# USD per 1K tokens
PRICING = {
    "claude-sonnet": {"input": 0.008, "output": 0.024},
    "llama-3-2-11b": {"input": 0.0006, "output": 0.0008},
}

EVAL_SETTINGS = {
    "max_tokens": 1500,
    "temperature": 0.7,
    "retries": 2,
}

PROMPT_SETTINGS = {
    "local_path": "20251001T000153731Z_e9c5e90710a8738a.json",
    "s3_bucket": None,
}
'''
write(APP + "config.py", CONFIG_PY)
write(APP + "notes/readme.txt", "Copied from the maintenance laptop before the cutover.\nNothing in this folder needs importing.\n")

# ---------------------------------------------------------------- one quirk per file, per kind
write("prompts_csv/standard.csv", prompts)
write("prompts_csv/no_prompt_id.csv", "prompt,expected_json,category\n" + q(P2) + ",False,converse\n" + q(P4) + ",True,converse\n")
write("prompts_csv/upper_header_extra_columns.csv", "PROMPT,owner,site\r\n" + q("Grease the hinge of door D-9.") + ",night shift,plant 2\r\n")
write("prompts_csv/bom_crlf_inside_prompt.csv", b"\xef\xbb\xbf" + ("prompt_id,prompt,expected_json,category\r\n1," + q(P1_CRLF) + ",TRUE,converse\r\n").encode())
write("prompts_csv/expected_json_spellings.csv",
      "prompt_id,prompt,expected_json,category\n1,Valve A,true,x\n2,Valve B,FALSE,x\n3,Valve C,1,x\n4,Valve D,,x\n5,Valve E,maybe,x\n6,,True,x\n")

write("prompts_json/array.json", json.dumps([P2, {"question": P4, "id": 7, "expected_json": "false"}], indent=2) + "\n")
write("prompts_json/prompts_object.json", json.dumps({"prompts": [{"prompt": P3, "category": "ops"}, {"prompt": ""}]}))
write("prompts_json/prompts.jsonl", json.dumps({"prompt": P1}) + "\n\n" + json.dumps({"text": P2}) + "\n")
write("prompts_json/maintenance_prompts.txt", P3 + "\n\n\n" + "Inspect the conveyor belt tension.\nRecord the reading.\n")

wrapped = []
for i, (rid, prompt) in enumerate([("r-cw-1", P3), ("r-cw-2", P4)]):
    inner = converse("2025-11-09T10:0%d:00Z" % i, rid, MAVERICK, prompt, 30 + i, 12, 500 + i, "ok")
    wrapped.append(compact({"logStreamName": "aws/bedrock/modelinvocations", "timestamp": 1762682400000 + i, "message": compact(inner)}))
wrapped.append(compact({"logStreamName": "aws/bedrock/modelinvocations", "timestamp": 1762682500000, "message": "START RequestId: not json"}))
write("bedrock_log/cloudwatch_export.jsonl", "\n".join(wrapped) + "\n")
trail = {"Records": [
    {"eventVersion": "1.09", "eventSource": "bedrock.amazonaws.com", "eventName": "InvokeModel", "eventTime": "2025-11-09T11:00:00Z",
     "awsRegion": "us-east-1", "requestID": "r-ct-1", "recipientAccountId": "000000000000",
     "requestParameters": {"modelId": "amazon.titan-text-premier-v1", "body": json.dumps({"inputText": P4})},
     "responseElements": {"inputTextTokenCount": 9, "results": [{"tokenCount": 14, "outputText": "Level normal."}]}},
    {"eventVersion": "1.09", "eventSource": "bedrock.amazonaws.com", "eventName": "Converse", "eventTime": "2025-11-09T11:05:00Z",
     "awsRegion": "us-east-1", "requestID": "r-ct-2", "errorCode": "AccessDeniedException",
     "requestParameters": {"modelId": "anthropic.claude-3-sonnet-20240229-v1:0"}}]}
write("bedrock_log/cloudtrail_events.json", json.dumps(trail))
sb = converse("2025-11-09T12:00:00Z", "r-sb-1", CLAUDE37, P2, 50, 20, 700, "ok")
sb["input"]["inputBodyJson"] = json.dumps(sb["input"]["inputBodyJson"])
sb["output"]["outputBodyJson"] = json.dumps(sb["output"]["outputBodyJson"])
write("bedrock_log/string_bodies.jsonl", compact(sb) + "\n")
write("bedrock_log/single_line_array.json", compact([converse("2025-11-09T13:00:00Z", "r-arr-1", MAVERICK, P3, 30, 12, 500, "ok"),
                                                    converse("2025-11-09T13:01:00Z", "r-arr-2", MAVERICK, P4, 31, 13, 501, "ok")]))
write("bedrock_log/pretty_printed.json", json.dumps([converse("2025-11-09T14:00:00Z", "r-pp-1", CLAUDE37, P4, 60, 25, 950, "ok")], indent=2) + "\n")
invoke = {"timestamp": 1762696800, "requestId": "r-im-1", "operation": "InvokeModel", "modelId": "meta.llama3-70b-instruct-v1:0",
          "region": "us-east-1", "input": {"inputBodyJson": {"prompt": P2, "max_gen_len": 512}, "inputTokenCount": 15},
          "output": {"outputBodyJson": {"generation": "Valves ok.", "generation_token_count": 6, "stop_reason": "stop"}, "outputTokenCount": 6}}
write("bedrock_log/single_object.json", compact(invoke))

write("models_yaml/models.2025-11-03.yaml", model_yaml("us-east-2", V2))
write("models_yaml/models.2025-11-05.yaml", model_yaml("us-east-2", V3, HAIKU))
write("config_py/config.2025-10-31.py", CONFIG_PY)
write("users_json/users.json", json.dumps(users, indent=2))
