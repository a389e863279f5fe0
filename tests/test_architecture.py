"""The package's shape: layers import one way, no cycles, and the DAG stays light."""

import ast
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import REPO, clean_env

from qhnet.limits import MAX_EXACT_QUBITS
from qhnet.model.layout import hidden_from_n_bits

SRC = REPO / "src" / "qhnet"

#: Layer of each top-level module or subpackage; a module may import its own
#: layer and the layers below it, never above.
LAYERS = {
    "validation": 0,
    "limits": 0,
    "io": 0,
    "engine": 1,
    "model": 2,
    "training": 3,
    "devices": 4,
    "experiments": 5,
    "analysis": 6,
    "cli": 7,
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """qhnet module → the qhnet modules it imports (at any depth of its code)."""
    graph = {}
    for path in SRC.rglob("*.py"):
        name = _module_name(path)
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qhnet"):
                deps.add(node.module)
                deps.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("qhnet"))
        graph[name] = deps
    modules = set(graph)
    return {m: {d for d in deps if d in modules and d != m} for m, deps in graph.items()}


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS[parts[1]] if len(parts) > 1 else -1


def test_every_module_has_a_layer():
    assert {m.split(".")[1] for m in import_graph() if "." in m} <= set(LAYERS)


def test_imports_point_down_the_layers():
    wrong = [
        (m, d)
        for m, deps in import_graph().items()
        for d in deps
        if _layer(d) > _layer(m) and not d.endswith("__init__")
    ]
    assert not wrong, wrong


def test_no_import_cycle():
    graph = import_graph()
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m, stack):
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycle.extend([*stack[stack.index(d) :], d] if d in stack else [m, d])
                return True
            if d not in state and visit(d, [*stack, d]):
                return True
        state[m] = 2
        return False

    for m in sorted(graph):
        if m not in state and visit(m, [m]):
            break
    assert not cycle, " -> ".join(cycle)


def test_building_the_dag_imports_neither_jax_nor_qiskit():
    """Parse the workflow (full config, noise study and sampled arm on) and list heavy imports."""
    code = (
        "import sys\n"
        "from snakemake.api import SnakemakeApi\n"
        "from snakemake.settings.types import ResourceSettings, ConfigSettings\n"
        "with SnakemakeApi() as api:\n"
        "    wf = api.workflow(resource_settings=ResourceSettings(),\n"
        "                      config_settings=ConfigSettings(), snakefile='workflow/Snakefile')\n"
        "    wf.dag()\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'jax', 'jaxlib', 'qiskit', 'qiskit_aer', 'qiskit_ibm_runtime', 'pennylane'})\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env=clean_env()
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "HEAVY []" in out.stdout, out.stdout[-2000:]


def test_schema_limits_follow_the_package():
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    hidden_max = schema["properties"]["model"]["properties"]["hidden"]["maximum"]
    largest = max(n for n in range(6, MAX_EXACT_QUBITS + 1) if (n - 2) % 4 == 0)
    assert hidden_max == hidden_from_n_bits(largest)
