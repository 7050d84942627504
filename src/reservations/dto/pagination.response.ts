export class PaginationResponse {
  page!: number;
  limit!: number;
  total!: number;
  totalPages!: number;
}

export function toPaginationResponse(page: {
  page: number;
  limit: number;
  total: number;
}): PaginationResponse {
  return {
    page: page.page,
    limit: page.limit,
    total: page.total,
    totalPages: Math.ceil(page.total / page.limit),
  };
}
