"""The JSON the releaser's unit tests take as ECS's (and ELBv2's) answers, and the task
definitions it produces, checked against botocore's service models on this machine:
every member must exist in its shape, with the right type and enum value, and requests
must pass botocore's own parameter validation. Needs no Docker and no engine."""
import datetime
import glob
import json
import os
import unittest

import botocore.session
from botocore.validate import ParamValidator

ROOT = os.environ.get("SW_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DATA = os.path.join(ROOT, "test", "unit", "releaser", "data")

session = botocore.session.get_session()
ECS = session.get_service_model("ecs")
ELBV2 = session.get_service_model("elbv2")


def check(shape, value, path, errors, timestamps_as="number"):
    """Strict structural check of value against a botocore output shape."""
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected an object for {shape.name}")
            return
        for k, v in value.items():
            if k not in shape.members:
                errors.append(f"{path}.{k}: not a member of {shape.name}")
                continue
            check(shape.members[k], v, f"{path}.{k}", errors, timestamps_as)
    elif t == "list":
        if not isinstance(value, list):
            errors.append(f"{path}: expected a list")
            return
        for i, v in enumerate(value):
            check(shape.member, v, f"{path}[{i}]", errors, timestamps_as)
    elif t == "map":
        if not isinstance(value, dict):
            errors.append(f"{path}: expected a map")
            return
        for k, v in value.items():
            check(shape.value, v, f"{path}.{k}", errors, timestamps_as)
    elif t == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {value!r}")
        elif shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} not in {shape.enum}")
    elif t in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer, got {value!r}")
    elif t == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean, got {value!r}")
    elif t == "timestamp":
        # JSON 1.1 sends epoch seconds as numbers
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{path}: expected an epoch-seconds number, got {value!r}")
    elif t in ("double", "float"):
        if not isinstance(value, (int, float)):
            errors.append(f"{path}: expected a number")
    else:
        errors.append(f"{path}: unhandled shape type {t}")


def output_shape(model, op):
    return model.operation_model(op).output_shape


class FixtureShapes(unittest.TestCase):
    def test_rollout_snapshots_are_ecs_and_elbv2_shaped(self):
        files = sorted(glob.glob(os.path.join(DATA, "rollout", "*.json")))
        self.assertGreaterEqual(len(files), 11)
        checked = 0
        for f in files:
            with open(f) as fh:
                sc = json.load(fh)
            name = os.path.basename(f)
            errors = []
            for i, step in enumerate(sc["steps"]):
                where = f"{name} step {i + 1}"
                if "update_service" in step:
                    check(output_shape(ECS, "UpdateService"), step["update_service"], where, errors)
                    checked += 1
                if "services" in step:
                    check(output_shape(ECS, "DescribeServices"), step["services"], where, errors)
                    checked += 1
                for proc, resp in step.get("tasks", {}).items():
                    check(output_shape(ECS, "DescribeTasks"), resp, f"{where} tasks[{proc}]", errors)
                    checked += 1
                if "instances" in step:
                    check(output_shape(ECS, "DescribeContainerInstances"), step["instances"], where, errors)
                    checked += 1
                for proc, resp in step.get("targets", {}).items():
                    check(output_shape(ELBV2, "DescribeTargetHealth"), resp, f"{where} targets[{proc}]", errors)
                    checked += 1
            self.assertEqual(errors, [], "\n".join(errors))
        self.assertGreater(checked, 30)

    def test_task_definitions_pass_botocore_validation(self):
        op = ECS.operation_model("RegisterTaskDefinition")
        for f in sorted(glob.glob(os.path.join(DATA, "taskdef_*.json"))):
            with open(f) as fh:
                req = json.load(fh)
            report = ParamValidator().validate(req, op.input_shape)
            self.assertFalse(report.has_errors(), f"{os.path.basename(f)}:\n{report.generate_report()}")
            errors = []
            check(op.input_shape, req, os.path.basename(f), errors)
            self.assertEqual(errors, [], "\n".join(errors))

    def test_requests_of_both_launches_pass_botocore_and_the_documented_limits(self):
        """data/requests/<Operation>.<case>.json: the exact requests test_launch.c builds for
        EC2 and Fargate, held to botocore's validation, the strict shape walk, and the
        validating proxy's rules (patterns, lengths, names, tags)."""
        from swvalidate import Models
        models = Models(('ecs',))
        files = sorted(glob.glob(os.path.join(DATA, "requests", "*.json")))
        self.assertGreaterEqual(len(files), 8)
        ops = set()
        for f in files:
            op = os.path.basename(f).split(".")[0]
            ops.add(op)
            with open(f) as fh:
                req = json.load(fh)
            shape = ECS.operation_model(op).input_shape
            report = ParamValidator().validate(req, shape)
            self.assertFalse(report.has_errors(), f"{os.path.basename(f)}:\n{report.generate_report()}")
            errors = []
            check(shape, req, os.path.basename(f), errors)
            self.assertEqual(errors, [], "\n".join(errors))
            self.assertEqual(models.check('ecs', op, req), [], os.path.basename(f))
        self.assertEqual(ops, {"RegisterTaskDefinition", "CreateService", "UpdateService", "RunTask"})

    def test_checker_catches_mistakes(self):
        errors = []
        check(output_shape(ECS, "DescribeServices"),
              {"services": [{"serviceName": "x", "deployments": [{"rolloutState": "DONE", "runningCount": "1"}],
                             "events": [{"createdAt": "yesterday"}], "colour": 1}]}, "bad", errors)
        self.assertEqual(sorted(errors), sorted([
            "bad.services[0].deployments[0].rolloutState: 'DONE' not in ['COMPLETED', 'FAILED', 'IN_PROGRESS']",
            "bad.services[0].deployments[0].runningCount: expected an integer, got '1'",
            "bad.services[0].events[0].createdAt: expected an epoch-seconds number, got 'yesterday'",
            "bad.services[0].colour: not a member of Service",
        ]))


if __name__ == "__main__":
    unittest.main()
