/** One documented route group: every path in `paths` behaves the same. */
export interface RouteDoc {
  method: 'get' | 'post';
  paths: string[];
  operation: string;
  summary: string;
  tag: 'Seldon' | 'Seldon ingress' | 'Open Inference Protocol (V2)' | 'Health' | 'Documentation' | 'Metrics';
  request?: 'seldon' | 'feedback' | 'v2' | 'form';
  response:
    | 'seldon'
    | 'text'
    | 'json'
    | 'metadata'
    | 'graph'
    | 'v2-infer'
    | 'v2-model'
    | 'v2-server'
    | 'v2-empty'
    | 'html'
    | 'javascript'
    | 'openapi'
    | 'prometheus';
}

/** `/seldon/:namespace/:deployment/x` → `/seldon/{namespace}/{deployment}/x`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown, example?: unknown) => ({
  'application/json': example === undefined ? { schema } : { schema, example },
});

const seldonError = (description: string) => ({ description, content: json(ref('SeldonError')) });
const v2Error = (description: string) => ({ description, content: json(ref('V2Error')) });

export function buildOpenApi(
  routes: RouteDoc[],
  info: { name: string; version: string; inputShape: number[]; classNames: string[] | undefined },
) {
  const rowSize = info.inputShape.reduce((p, d) => p * d, 1);
  const seldonExample = {
    data: { names: ['feature1'], tensor: { shape: info.inputShape, values: new Array(rowSize).fill(0) } },
  };
  const v2Example = {
    inputs: [
      { name: 'input-0', shape: [1, ...info.inputShape], datatype: 'FP32', data: new Array(rowSize).fill(0) },
    ],
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    for (const path of route.paths) {
      const key = openApiPath(path);
      const params = [...path.matchAll(/:(\w+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      const op: Record<string, unknown> = {
        operationId: `${route.operation}${operationSuffix(path)}`,
        summary: route.summary,
        tags: [route.tag],
        responses: responses(route),
      };
      if (route.method === 'get' && route.request === 'form') {
        params.push({ name: 'json', in: 'query', required: true, schema: { type: 'string' } } as never);
      }
      if (params.length > 0) op.parameters = params;
      if (route.request === 'seldon') {
        op.requestBody = {
          required: true,
          content: {
            ...json(ref('SeldonMessage'), seldonExample),
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                properties: { json: { type: 'string', description: 'a SeldonMessage as JSON' } },
              },
            },
            'text/plain': {
              schema: { type: 'string', description: 'a SeldonMessage as JSON, or numbers as strData' },
            },
            'application/octet-stream': {
              schema: { type: 'string', format: 'binary', description: 'a PNG or JPEG photo (binData)' },
            },
          },
        };
      } else if (route.request === 'feedback') {
        op.requestBody = { required: true, content: json(ref('Feedback')) };
      } else if (route.request === 'v2') {
        op.requestBody = { required: true, content: json(ref('InferenceRequest'), v2Example) };
      }
      paths[key] = { ...paths[key], [route.method]: op };
    }
  }
  return {
    openapi: '3.0.3',
    info: {
      title: `${info.name} — Seldon Core prediction API`,
      version: info.version,
      description:
        "Seldon Core's v1 microservice and external (ingress) prediction API, with the Open Inference Protocol (V2) " +
        `beside it. Model \`${info.name}\` version \`${info.version}\` takes rows of shape [${info.inputShape.join(',')}]` +
        (info.classNames
          ? ` and answers with ${info.classNames.length} columns: ${info.classNames.join(', ')}.`
          : '.'),
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'Seldon', description: 'The model microservice API (what the Seldon executor calls)' },
      {
        name: 'Seldon ingress',
        description: 'The external API as seen through the ingress: /seldon/<namespace>/<deployment>/…',
      },
      { name: 'Open Inference Protocol (V2)' },
      { name: 'Health' },
      { name: 'Documentation' },
      { name: 'Metrics' },
    ],
    paths,
    components: { schemas: SCHEMAS },
  };
}

function operationSuffix(path: string): string {
  // operationIds are unique per path: derive a readable suffix from it.
  return path
    .replace(/:(\w+)/g, 'By_$1')
    .split(/[^A-Za-z0-9_]+/)
    .filter(Boolean)
    .map((s) => s[0]!.toUpperCase() + s.slice(1))
    .join('')
    .replace(/^/, '_');
}

function responses(route: RouteDoc): Record<string, unknown> {
  const errors =
    route.tag === 'Open Inference Protocol (V2)'
      ? {
          '400': v2Error('Bad request: wrong shape, datatype, values or JSON'),
          '404': v2Error('No such model or version'),
          '413': v2Error('The body is larger than the limit'),
          '500': v2Error('The model failed'),
          '503': v2Error('Shutting down or overloaded'),
        }
      : {
          '400': seldonError(
            'Bad data (reason MICROSERVICE_BAD_DATA): wrong shape, values out of range, malformed JSON, wrong content type',
          ),
          '413': seldonError('The body is larger than the limit'),
          '500': seldonError('The model failed (reason MICROSERVICE_INTERNAL_ERROR)'),
          '503': seldonError('Shutting down or overloaded'),
        };
  const ok = (description: string, content?: unknown) =>
    content ? { description, content } : { description };
  switch (route.response) {
    case 'seldon':
      return {
        '200': ok('The prediction, in the form of the request', json(ref('SeldonMessage'))),
        ...errors,
      };
    case 'metadata':
      return { '200': ok('Model metadata', json(ref('SeldonModelMetadata'))), '500': errors['500'] };
    case 'graph':
      return { '200': ok('Graph metadata', json(ref('SeldonGraphMetadata'))), '500': errors['500'] };
    case 'v2-infer':
      return { '200': ok('The inference response', json(ref('InferenceResponse'))), ...errors };
    case 'v2-model':
      return { '200': ok('Model metadata', json(ref('MetadataModelResponse'))), '404': errors['404'] };
    case 'v2-server':
      return { '200': ok('Server metadata', json(ref('MetadataServerResponse'))) };
    case 'v2-empty':
      return { '200': ok('Live / ready'), '503': ok('Not ready') };
    case 'text':
      return { '200': ok('OK', { 'text/plain': { schema: { type: 'string' } } }), '503': ok('Not ready') };
    case 'json':
      return { '200': ok('OK', json({ type: 'object' })), '503': seldonError('Unhealthy') };
    case 'html':
      return { '200': ok('Swagger UI', { 'text/html': { schema: { type: 'string' } } }) };
    case 'javascript':
      return {
        '200': ok('Swagger UI start-up script', { 'text/javascript': { schema: { type: 'string' } } }),
      };
    case 'openapi':
      return { '200': ok('This document', json({ type: 'object' })) };
    case 'prometheus':
      return { '200': ok('Prometheus text exposition', { 'text/plain': { schema: { type: 'string' } } }) };
  }
}

const anyValue = {};

const SCHEMAS: Record<string, unknown> = {
  SeldonMessage: {
    type: 'object',
    description: 'Exactly one of data, binData, strData, jsonData.',
    properties: {
      status: ref('Status'),
      meta: ref('Meta'),
      data: ref('DefaultData'),
      binData: {
        type: 'string',
        format: 'byte',
        description: 'base64 PNG or JPEG photo; answered as data.ndarray',
      },
      strData: {
        type: 'string',
        description: 'numbers separated by commas or spaces, or JSON; answered as data.ndarray',
      },
      jsonData: {
        description:
          'a nested array, or {instances}, {ndarray} or {tensor}; answered as jsonData {names, predictions}',
      },
    },
  },
  DefaultData: {
    type: 'object',
    properties: {
      names: { type: 'array', items: { type: 'string' } },
      tensor: ref('Tensor'),
      ndarray: { type: 'array', items: anyValue },
      tftensor: ref('TensorProto'),
    },
  },
  Tensor: {
    type: 'object',
    required: ['shape', 'values'],
    properties: {
      shape: { type: 'array', items: { type: 'integer', format: 'int32' } },
      values: { type: 'array', items: { type: 'number', format: 'double' } },
    },
  },
  TensorProto: {
    type: 'object',
    description: 'TensorFlow TensorProto in protobuf JSON (lowerCamel or snake_case field names).',
    properties: {
      dtype: {
        type: 'string',
        enum: ['DT_FLOAT', 'DT_DOUBLE', 'DT_INT32', 'DT_UINT8', 'DT_INT16', 'DT_INT8', 'DT_INT64'],
      },
      tensorShape: {
        type: 'object',
        properties: {
          dim: {
            type: 'array',
            items: {
              type: 'object',
              properties: { size: { type: 'string', format: 'int64' }, name: { type: 'string' } },
            },
          },
        },
      },
      tensorContent: { type: 'string', format: 'byte' },
      floatVal: { type: 'array', items: { type: 'number', format: 'float' } },
      doubleVal: { type: 'array', items: { type: 'number', format: 'double' } },
      intVal: { type: 'array', items: { type: 'integer', format: 'int32' } },
      int64Val: { type: 'array', items: { type: 'string', format: 'int64' } },
    },
  },
  Meta: {
    type: 'object',
    properties: {
      puid: { type: 'string' },
      tags: { type: 'object', additionalProperties: anyValue },
      routing: { type: 'object', additionalProperties: { type: 'integer', format: 'int32' } },
      requestPath: { type: 'object', additionalProperties: { type: 'string' } },
      metrics: { type: 'array', items: { type: 'object' } },
    },
  },
  Status: {
    type: 'object',
    properties: {
      code: { type: 'integer', format: 'int32' },
      info: { type: 'string' },
      reason: { type: 'string' },
      status: { type: 'integer', enum: [0, 1], description: '0 SUCCESS, 1 FAILURE' },
    },
  },
  SeldonError: {
    type: 'object',
    properties: { status: ref('Status') },
    example: {
      status: {
        status: 1,
        info: 'data.tensor.shape has shape [3,3] …',
        code: -1,
        reason: 'MICROSERVICE_BAD_DATA',
      },
    },
  },
  Feedback: {
    type: 'object',
    properties: {
      request: ref('SeldonMessage'),
      response: ref('SeldonMessage'),
      reward: { type: 'number', format: 'float' },
      truth: ref('SeldonMessage'),
    },
  },
  SeldonMessageMetadata: {
    type: 'object',
    properties: {
      messagetype: { type: 'string' },
      schema: { type: 'object' },
      name: { type: 'string' },
      datatype: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
    },
  },
  SeldonModelMetadata: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      versions: { type: 'array', items: { type: 'string' } },
      platform: { type: 'string' },
      inputs: { type: 'array', items: ref('SeldonMessageMetadata') },
      outputs: { type: 'array', items: ref('SeldonMessageMetadata') },
      custom: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
  SeldonGraphMetadata: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      models: { type: 'object', additionalProperties: ref('SeldonModelMetadata') },
      graphinputs: { type: 'array', items: ref('SeldonMessageMetadata') },
      graphoutputs: { type: 'array', items: ref('SeldonMessageMetadata') },
    },
  },
  InferenceRequest: {
    type: 'object',
    required: ['inputs'],
    properties: {
      id: { type: 'string' },
      parameters: { type: 'object' },
      inputs: { type: 'array', items: ref('RequestInput') },
      outputs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
    },
  },
  RequestInput: {
    type: 'object',
    required: ['name', 'shape', 'datatype', 'data'],
    properties: {
      name: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
      datatype: {
        type: 'string',
        enum: [
          'FP16',
          'FP32',
          'FP64',
          'UINT8',
          'UINT16',
          'UINT32',
          'UINT64',
          'INT8',
          'INT16',
          'INT32',
          'INT64',
        ],
      },
      parameters: { type: 'object' },
      data: { type: 'array', items: anyValue, description: 'flat (row-major) or nested' },
    },
  },
  InferenceResponse: {
    type: 'object',
    properties: {
      model_name: { type: 'string' },
      model_version: { type: 'string' },
      id: { type: 'string' },
      parameters: { type: 'object' },
      outputs: { type: 'array', items: ref('ResponseOutput') },
    },
  },
  ResponseOutput: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
      datatype: { type: 'string' },
      parameters: { type: 'object' },
      data: { type: 'array', items: { type: 'number' } },
    },
  },
  MetadataTensor: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      datatype: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
    },
  },
  MetadataModelResponse: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      versions: { type: 'array', items: { type: 'string' } },
      platform: { type: 'string' },
      inputs: { type: 'array', items: ref('MetadataTensor') },
      outputs: { type: 'array', items: ref('MetadataTensor') },
    },
  },
  MetadataServerResponse: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      version: { type: 'string' },
      extensions: { type: 'array', items: { type: 'string' } },
    },
  },
  V2Error: { type: 'object', properties: { error: { type: 'string' } } },
};
